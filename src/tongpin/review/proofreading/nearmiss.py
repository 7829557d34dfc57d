"""Near-miss detection: text one confusable character away from a known idiom, fixed phrase or common word.

Every character is mapped to a class (its main toneless reading), so the text and the lexicon can be compared
in one Aho-Corasick pass over the *mapped* text: 一愁莫展 and 一筹莫展 map to the same key. Look-alike characters
(己/已, 侯/候) are added as explicit variants of each entry. A hit is a finding only when the text differs from a
target in exactly one character, the two characters share a reading or are listed look-alikes, and the text is
not itself a word of the lexicon. The lexicon (data/lexicon.txt) and readings (data/readings.txt) are built
offline by bench/proofread_lexicon.py; loading them takes well under a second and needs no model.
"""

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import ahocorasick

DATA_DIR = Path(__file__).with_name("data")
PREFIX = 4  # entries are at least this long
FUNCTION_CHARACTERS = frozenset("的地得是在了和有为以也就都而与及对把被将从其之于上中下不一这那个着过又再已市事式时")
_BYTE_CODES = list(range(1, 256))


@dataclass(frozen=True)
class NearHit:
    start: int
    end: int
    text: str
    suggestion: str
    kind: str  # "homophone" or "lookalike"


def load_lookalikes(path: Path = DATA_DIR / "lookalike.txt") -> dict[str, set[str]]:
    """Groups of look-alike characters, one group a line (`#` starts a comment)."""
    groups: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        chars = line.split("#", 1)[0].strip()
        for ch in chars:
            groups.setdefault(ch, set()).update(c for c in chars if c != ch)
    return groups


class NearMiss:
    def __init__(
        self,
        readings: dict[str, list[str]],
        lookalikes: dict[str, set[str]],
        words: Iterable[tuple[str, int, str]],
    ):
        """`words`: (word, frequency, kind). Kind "I" (an idiom) or "T" (a phrase or common word) is a target and
        may carry the edge positions (digits) where a substitution is not reported, because the rest is a word by
        itself (在进一步 is 在 + 进一步, not a misspelt 再进一步); "K" is a known word that only silences the hit
        it equals. In a non-idiom a function character is taken as written (人是部门 is 人 + 是 + 部门)."""
        self.readings = {ch: frozenset(r) for ch, r in readings.items()}
        self.lookalikes = lookalikes
        # Each reading is a class, folded into a code point below 256 (fewer distinct symbols keep the automaton
        # small); a fold only makes more candidates, which the exact check below then drops.
        classes: dict[str, int] = {}
        self._table: list[int] = [0] * 0x10000  # a list translates faster than a dict; 0: in no entry
        for ch, rs in readings.items():
            if ord(ch) < 0x10000:
                index = classes.setdefault(rs[0], len(classes))
                self._table[ord(ch)] = _BYTE_CODES[index % len(_BYTE_CODES)]
        for rs in readings.values():
            for reading in rs:
                classes.setdefault(reading, len(classes))
        self._class_of = {r: chr(_BYTE_CODES[i % len(_BYTE_CODES)]) for r, i in classes.items()}
        self._spoken: dict[str, tuple[str, ...]] = {}  # a target's readings in context, where they matter
        self._main = {ch: rs[0] for ch, rs in readings.items()}
        by_key: dict[str, list[tuple[str, int, str]]] = {}
        entries = []  # one (word, freq, kind) tuple per word, shared by all its keys (memory: ~45,000 keys)
        for word, freq, kind in words:
            kind, _, spoken = kind.partition("\t")
            if spoken and len(spoken.split()) == len(word):
                self._spoken[word] = tuple(spoken.split())
            entries.append((word, freq, sys.intern(kind)))
        for entry in entries:
            if entry[2] != "K":
                for key in self._keys(entry[0]):
                    by_key.setdefault(key, []).append(entry)
        for entry in entries:
            key = self.canonical(entry[0])
            if entry[2] == "K" and key in by_key and entry not in by_key[key]:
                by_key[key].append(entry)
        # One Aho-Corasick pass over the mapped text finds the four-class prefixes (measured: ~5x faster than a
        # Python loop over positions); each hit then looks up the entry lengths that start with it.
        self._entries: dict[str, tuple[tuple[str, ...], tuple[tuple[str, int, str], ...]]] = {}
        lengths: dict[str, set[int]] = {}
        for key, members in by_key.items():
            targets = tuple(sorted((e for e in members if e[2] != "K"), key=lambda e: -e[1]))
            self._entries[key] = (tuple(dict.fromkeys(e[0] for e in members)), targets)  # few: a tuple is smaller
            lengths.setdefault(key[:PREFIX], set()).add(len(key))
        self._automaton = ahocorasick.Automaton()
        for prefix, sizes in lengths.items():
            self._automaton.add_word(prefix, tuple(sorted(sizes)))
        self.size = len(by_key)
        if self.size:
            self._automaton.make_automaton()

    def canonical(self, text: str) -> str:
        """One class (a code point below 256) per character; characters beyond the BMP raise IndexError in
        translate and stay as they are, so they never match."""
        return text.translate(self._table)

    def _keys(self, word: str) -> set[str]:
        """The word as the text maps it (each character by its main reading), the same with the one character
        that would be replaced mapped by its reading in context (发人深省 read xǐng matches 醒, though 省's main
        reading is shěng), and its variants through one look-alike character."""
        mapped = self.canonical(word)
        keys = {mapped}
        for index, reading in enumerate(self._spoken.get(word, ())):
            keys.add(mapped[:index] + self._class_of[reading] + mapped[index + 1 :])
        for index, ch in enumerate(word):
            for other in self.lookalikes.get(ch, ()):
                keys.add(mapped[:index] + self.canonical(other) + mapped[index + 1 :])
        return keys

    def confusion(self, written: str, meant: str, meant_reading: str | None = None) -> str | None:
        """Why `written` may stand for `meant` (read `meant_reading` there, if known): "homophone", "lookalike"
        or None. 底 does not stand for the 提 of 提前 (tí), though 提 is also read dī elsewhere."""
        written_readings = self.readings.get(written, frozenset())
        if meant_reading is not None and {meant_reading, self._main.get(meant)} & written_readings:
            return "homophone"  # its reading here, or its main one (一针见血 is read xiě but written for xuè too)
        if meant_reading is None and written_readings & self.readings.get(meant, frozenset()):
            return "homophone"
        if written in self.lookalikes.get(meant, ()):
            return "lookalike"
        return None

    def _match(self, window: str, targets) -> tuple[str, str] | None:
        for target, _freq, target_kind in targets:  # most frequent first
            diffs = [i for i in range(len(window)) if window[i] != target[i]]
            if len(diffs) != 1 or str(diffs[0]) in target_kind:
                continue
            if target_kind[0] == "T" and window[diffs[0]] in FUNCTION_CHARACTERS:
                continue
            at = diffs[0]
            spoken = self._spoken.get(target)
            if kind := self.confusion(window[at], target[at], spoken[at] if spoken else self._main.get(target[at])):
                return target, kind
        return None

    def near_targets(self, word: str) -> list[str]:
        """Targets `word` is one confusable character away from (the build script uses this)."""
        found = self._entries.get(self.canonical(word))
        if not found:
            return []
        return [t for t, _, k in found[1] if t != word and self._match(word, ((t, 0, k),))]

    def find(self, text: str) -> list[NearHit]:
        if not self.size:
            return []
        hits: list[NearHit] = []
        mapped = self.canonical(text)
        entries = self._entries
        for last, sizes in self._automaton.iter(mapped):
            start = last + 1 - PREFIX
            for size in sizes:
                found = entries.get(mapped[start : start + size])
                if found and (window := text[start : start + size]) not in found[0]:
                    if matched := self._match(window, found[1]):
                        hits.append(NearHit(start, start + size, window, matched[0], matched[1]))
        return _without_overlaps(hits)


def _without_overlaps(hits: list[NearHit]) -> list[NearHit]:
    """Where hits overlap keep the longest (a phrase beats a word inside it), then the first."""
    taken: set[int] = set()  # hits are 4-8 characters, so marking positions keeps this linear
    kept: list[NearHit] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), h.start)):
        span = range(hit.start, hit.end)
        if taken.isdisjoint(span):
            taken.update(span)
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


@cache
def default_nearmiss() -> NearMiss:
    """The shipped lexicon, loaded once per process."""
    readings = {}
    for line in (DATA_DIR / "readings.txt").read_text(encoding="utf-8").splitlines():
        ch, _, rest = line.partition("\t")
        readings[ch] = rest.split()
    words = []
    for line in (DATA_DIR / "lexicon.txt").read_text(encoding="utf-8").splitlines():
        word, freq, kind = line.split("\t", 2)  # kind may carry "\t" + readings in context
        words.append((word, int(freq), kind))
    return NearMiss(readings, load_lookalikes(), words)
