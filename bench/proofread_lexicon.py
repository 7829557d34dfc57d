"""Build the near-miss lexicon shipped with the proofreading engine (run by hand; needs jieba and pypinyin).

    python bench/proofread_lexicon.py

Writes, in src/tongpin/review/proofreading/data/:
- lexicon.txt: `word<TAB>freq<TAB>I|T[blocked]|K[<TAB>readings in context]` — I: an idiom, T: a fixed phrase
  or common word (the targets a near-miss is corrected to), with the edge positions where no substitution is
  reported (digits); K: a known word that looks like a near-miss of a target but is a word in its own right.
- readings.txt: `char<TAB>reading reading …` — toneless pinyin (most common first) of every character of the
  lexicon and of GB 2312 (homophones).

Sources: jieba's dict.txt (MIT; words, frequencies and part-of-speech tags: i = idiom, l = fixed phrase) and
pypinyin's character readings (MIT). The look-alike table (lookalike.txt) is written by hand and read here too.
"""

import os
import sys
from collections import defaultdict
from pathlib import Path

import jieba
from pypinyin import Style, lazy_pinyin, pinyin

DATA = Path(__file__).resolve().parents[1] / "src/tongpin/review/proofreading/data"
sys.path.insert(0, str(DATA.parents[4] / "src"))

IDIOM_TAGS = {"i", "l"}
MIN_TARGET_FREQ = {4: 20}  # plain words (not tagged idiom/phrase) need this frequency to be targets
MIN_IDIOM_FREQ = 3
MIN_KNOWN_FREQ = 5
MIN_EDGE_WORD_FREQ = 20
DOMINANCE = 8  # an entry this many times rarer than a confusable neighbour is taken for its misspelling
JIEBA_FLOOR = 3  # jieba's lowest frequency: an entry there beside a more frequent neighbour is its misspelling


def cjk(word: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in word)


def edges_inside_words(target: str, words: dict[str, int]) -> str:
    """The edge positions where a substitution is not reported, because the rest of the target is a common
    word by itself: 在进一步 is 在 + 进一步, not a misspelt 再进一步."""
    blocked = ""
    if words.get(target[1:], 0) >= MIN_EDGE_WORD_FREQ:
        blocked += "0"
    if words.get(target[:-1], 0) >= MIN_EDGE_WORD_FREQ:
        blocked += str(len(target) - 1)
    return blocked


def context_readings(word: str, readings: dict[str, list[str]]) -> str:
    """The word's readings in context (pypinyin, phrase-aware) when it holds a heteronym read other than its
    main reading (发人深省: xing, not sheng); a fourth column, else nothing."""
    spoken = lazy_pinyin(word, style=Style.NORMAL)
    if len(spoken) != len(word):
        return ""
    if all(readings.get(ch, [r])[0] == r for ch, r in zip(word, spoken, strict=True)):
        return ""
    return "\t" + " ".join(spoken)


def main() -> None:
    from tongpin.review.proofreading.nearmiss import NearMiss, load_lookalikes

    entries: dict[str, tuple[int, str]] = {}
    words: dict[str, int] = {}
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as handle:
        for line in handle:
            word, freq, tag = (line.split() + ["", ""])[:3]
            words[word] = int(freq)
            if 4 <= len(word) <= 8 and cjk(word):
                entries[word] = (int(freq), tag)

    def is_target(word: str, freq: int, tag: str) -> bool:
        if tag in IDIOM_TAGS and len(word) >= 4:
            return freq >= MIN_IDIOM_FREQ
        return freq >= MIN_TARGET_FREQ.get(len(word), 40)

    targets = {w: f for w, (f, t) in entries.items() if is_target(w, f, t)}
    kinds = {w: ("I" if entries[w][1] == "i" else "T") + edges_inside_words(w, words) for w in targets}
    # Every character of the lexicon, and every GB 2312 character (what a writer may type by mistake).
    gb2312 = set()
    for code in range(0x4E00, 0xA000):
        try:
            chr(code).encode("gb2312")
            gb2312.add(chr(code))
        except UnicodeEncodeError:
            pass
    chars = sorted({ch for word in entries for ch in word} | gb2312)
    readings = {
        ch: list(dict.fromkeys(r for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0] if r.isalpha()))
        for ch in chars
    }
    readings = {ch: r for ch, r in readings.items() if r}
    lookalikes = load_lookalikes()

    # Find every entry that collides with a target through one confusable substitution.
    index = NearMiss(
        readings, lookalikes, [(w, f, kinds[w] + context_readings(w, readings)) for w, f in targets.items()]
    )
    near: dict[str, list[str]] = defaultdict(list)
    for word in entries:
        for target in index.near_targets(word):
            near[word].append(target)
    drop = set()
    for word, neighbours in near.items():
        freq = entries[word][0]
        if any(targets[t] >= DOMINANCE * freq or (freq <= JIEBA_FLOOR < targets[t]) for t in neighbours):
            drop.add(word)  # e.g. 再接再励 (3) beside 再接再厉 (115): a misspelling jieba happens to hold
    rows = []
    for word, freq in sorted(targets.items()):
        if word not in drop:
            rows.append(f"{word}\t{freq}\t{kinds[word]}{context_readings(word, readings)}")
    for word in sorted(near):
        if word not in targets and word not in drop and entries[word][0] >= MIN_KNOWN_FREQ:
            rows.append(f"{word}\t{entries[word][0]}\tK")
    used = {ch for row in rows for ch in row.split("\t")[0]} | set(lookalikes) | gb2312
    (DATA / "lexicon.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (DATA / "readings.txt").write_text(
        "".join(f"{ch}\t{' '.join(readings[ch])}\n" for ch in sorted(used) if ch in readings), encoding="utf-8"
    )
    print(f"{sum(not r.endswith('K') for r in rows)} targets, {sum(r.endswith('K') for r in rows)} known, "
          f"{len(drop)} dropped as misspellings, {len(used)} characters")


if __name__ == "__main__":
    main()
