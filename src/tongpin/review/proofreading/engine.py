"""The checker: one Aho-Corasick pass for every listed term and leader name, plus cheap built-in rules.

Offsets are characters of the text as given (Python string indices), end exclusive.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable

import ahocorasick
import opencc

from . import checks
from .finding import Finding, Severity
from .nearmiss import NearMiss, default_nearmiss
from .roster import Leader
from .rules import Rule

Plugin = Callable[[str], Iterable[Finding]]

CJK = "\u4e00-\u9fff\u3400-\u4dbf"
NEARMISS_SOURCE = "近似词检测：jieba 词典成语与常用词（MIT）+ pypinyin 读音（MIT）+ 同频形近字表"
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", ".": "。", "(": "（", ")": "）"}
_HALF_PUNCT = re.compile(r"[,;:?!.]")  # candidates; their neighbours decide (a regex lookaround is 15x slower)
_CJK_CHAR = re.compile(f"[{CJK}]")
_HALF_PARENS = re.compile(rf"\(([^()\n]*[{CJK}][^()\n]*)\)")
_DOUBLED_MARK = re.compile(r"([，。、；：！？])\1+")
# “ ” are paired by checks.quotes, which knows multi-paragraph quotations.
_PAIRS = {"（": "）", "《": "》", "‘": "’", "【": "】", "「": "」", "『": "』", "〔": "〕"}
_CLOSERS = {close: open_ for open_, close in _PAIRS.items()}
_BRACKETS = re.compile("[" + re.escape("".join(_PAIRS) + "".join(_CLOSERS)) + "]")
_DOUBLED_CHAR = re.compile("(的|地|得|了|是|在|和|与|及|对|把|被|将|也|都|就|而|从|为|其|之)\\1")
_DOUBLED_CHAR_OK = ("不了了之", "了了分明", "是是非非", "在在")
_DOUBLED_WORD = re.compile(rf"([{CJK}]{{2,4}})\1")
_TONE = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN = re.compile(rf"(?<=[{CJK}])[(（]([a-z{_TONE}ü]{{1,7}}[1-5]?)[)）]")
_SYLLABLE = re.compile(
    r"^(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)?[iuü]?(?:a|o|e|ai|ei|ao|ou|an|en|ang|eng|ong|er|i|u|ü|in|ing|un|ün|ie|üe|ue|iu|ui)[1-5]?$"
)
_DIGITS = re.compile(r"\d+")
_CHINESE_DIGITS = set("〇零一二三四五六七八九")
_MAGNITUDES = set("十百千万亿")
_FULL_WIDTH_DIGITS = re.compile("[０-９]+")
_DATE = re.compile(r"(\d{1,2})月(\d{1,2})日")
_YEAR_BEFORE = re.compile(r"(?<!\d)(\d{4})年$")
_LIST_SEPARATORS = "、，, 和与及同以及"
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")

_t2s = opencc.OpenCC("t2s")
# Titles that stand before names in Chinese news copy, beside the roster's own (longest match wins).
COMMON_TITLES = frozenset(
    "书记 省长 市长 区长 县长 镇长 乡长 主席 厅长 局长 处长 科长 主任 部长 巡视员 二级巡视员 调研员 委员 常委 "
    "总经理 董事长 台长 社长 总编辑 院长 校长 秘书长".split()
)


# What a listed term's finding says when its rule carries no note of its own.
RULE_MESSAGES = {
    "typo": "常见错别字。",
    "prohibited": "新闻报道中禁用或慎用的表述。",
    "advert": "广告中不得使用的用语。",
}


def _rule_message(rule: Rule) -> str:
    message = RULE_MESSAGES.get(rule.category, "")
    if rule.suggestion:
        message += f"建议改为“{rule.suggestion}”。"
    return message


class Checker:
    """Built once from rule lists and a roster (building takes ~0.2 s for 50,000 terms); `check` is re-entrant."""

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        roster: Iterable[Leader] = (),
        plugins: Iterable[Plugin] = (),
        nearmiss: NearMiss | bool = True,
    ):
        """`nearmiss`: the near-miss lexicon (True: the shipped one, loaded once per process; False: none)."""
        self.rules = list(rules)
        self.nearmiss = default_nearmiss() if nearmiss is True else (nearmiss or None)
        self.roster = {leader.name: leader for leader in roster}
        self.plugins = list(plugins)
        titles = {leader.title for leader in self.roster.values()} | COMMON_TITLES
        titles |= {t for leader in self.roster.values() for t in leader.former_titles}
        # "副厅长" must be read as a whole, not as "厅长" with something before it.
        self._titles = titles | {"副" + t for t in titles if not t.startswith("副")}
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list] = {}
        for rule in self.rules:
            entries.setdefault(rule.term, []).append(rule)
        for name, leader in self.roster.items():
            entries.setdefault(name, []).append(leader)
        for key, payload in entries.items():
            self._automaton.add_word(key, (len(key), tuple(payload)))
        if entries:
            self._automaton.make_automaton()

    # --- the pass ----------------------------------------------------------------------------------
    def check(self, text: str, *, max_chars: int | None = None, strict_advert: bool = False) -> list[Finding]:
        """All findings, ordered by position. `strict_advert` (promotional copy) makes advert terms errors and adds
        the advert patterns (最好吃, 史上最强, 全网第一, 特效: checks.advert_claims)."""
        if not text:
            return []
        findings: list[Finding] = []
        leaders_at: list[tuple[int, int, Leader]] = []
        if self._automaton.kind == ahocorasick.AHOCORASICK:
            for end, (length, payload) in self._automaton.iter(text):
                start = end + 1 - length
                for item in payload:
                    if isinstance(item, Leader):
                        leaders_at.append((start, end + 1, item))
                    elif not _inside_suggestion(text, start, item):
                        findings.append(self._rule_finding(item, start, end + 1, text, strict_advert))
        if strict_advert:  # promotional copy: the advert patterns, where no listed advert term was found already
            listed = {i for f in findings if f.category == "advert" for i in range(f.start, f.end)}
            findings += [f for f in checks.advert_claims(text) if listed.isdisjoint(range(f.start, f.end))]
        findings += self._leaders(text, leaders_at)
        findings += self._near_misses(text, findings)
        findings += self._punctuation(text)
        findings += self._duplicates(text)
        findings += self._traditional(text)
        findings += self._pinyin(text)
        findings += self._numbers(text)
        findings += checks.dates_and_times(text)
        findings += checks.de_di_de(text)
        findings += checks.quotes(text)
        findings += checks.units(text)
        if max_chars is not None and len(text) > max_chars:
            findings.append(
                Finding.at(
                    text,
                    max_chars,
                    len(text),
                    category="length",
                    severity=Severity.ERROR,
                    rule="length:max",
                    message=f"超出本渠道 {max_chars} 字上限 {len(text) - max_chars} 字",
                )
            )
        for plugin in self.plugins:
            findings += plugin(text)
        findings.sort(key=lambda f: (f.start, f.end, f.category))
        return findings

    @staticmethod
    def _rule_finding(rule: Rule, start: int, end: int, text: str, strict_advert: bool) -> Finding:
        severity = Severity.ERROR if (rule.category == "advert" and strict_advert) else rule.severity
        return Finding(
            start,
            end,
            text[start:end],
            rule.category,
            severity,
            rule.suggestion or None,
            rule.rule_id,
            rule.source,
            rule.note or _rule_message(rule),
        )

    # --- near-misses of known idioms and words ---------------------------------------------------------
    def _near_misses(self, text: str, listed: list[Finding]) -> list[Finding]:
        if self.nearmiss is None:
            return []
        typos = {i for f in listed if f.category == "typo" for i in range(f.start, f.end)}
        return [
            Finding.at(
                text,
                hit.start,
                hit.end,
                category="typo",
                severity=Severity.WARNING,  # likely, not certain: a rare word can sit one homophone from a common one
                rule="typo:near-miss",
                message=f"疑似“{hit.suggestion}”之误（{'同音字' if hit.kind == 'homophone' else '形近字'}）",
                suggestion=hit.suggestion,
                source=NEARMISS_SOURCE,
            )
            for hit in self.nearmiss.find(text)
            if typos.isdisjoint(range(hit.start, hit.end))  # a listed typo there says it already
        ]

    # --- leaders: titles and order -------------------------------------------------------------------
    def _leaders(self, text: str, found: list[tuple[int, int, Leader]]) -> list[Finding]:
        findings = []
        for start, end, leader in found:
            title_start, title = self._title_before(text, start)
            if title and title != leader.title:
                outdated = title in leader.former_titles
                findings.append(
                    Finding.at(
                        text,
                        title_start,
                        end,
                        category="leader",
                        severity=Severity.ERROR,
                        rule="leader:outdated-title" if outdated else "leader:wrong-title",
                        message=f"{leader.name}的现任职务是{leader.title}" + ("（此为原职务）" if outdated else ""),
                        suggestion=f"{leader.title}{leader.name}",
                        source="领导名录",
                    )
                )
        sentence_bounds = [m.end() for m in _SENTENCE_END.finditer(text)]
        by_sentence: dict[int, list[tuple[int, int, Leader]]] = {}
        for item in found:
            by_sentence.setdefault(_sentence_index(sentence_bounds, item[0]), []).append(item)
        for items in by_sentence.values():
            first_seen: dict[str, tuple[int, int, Leader]] = {}
            for item in items:
                first_seen.setdefault(item[2].name, item)
            ordered = sorted(first_seen.values())
            for earlier, later in zip(ordered, ordered[1:], strict=False):
                if later[2].rank < earlier[2].rank and self._listed_together(text[earlier[1] : later[0]]):
                    findings.append(
                        Finding.at(
                            text,
                            later[0],
                            later[1],
                            category="leader",
                            severity=Severity.WARNING,
                            rule="leader:order",
                            message=f"{later[2].name}（{later[2].rank}）应列在{earlier[2].name}（{earlier[2].rank}）之前",
                            source="领导名录",
                        )
                    )
        return findings

    def _listed_together(self, between: str) -> bool:
        """Two names are one list when only separators and a title stand between them ("张三、副厅长李四");
        in "李四会见张三" the order says who did what, not who ranks first."""
        rest = between.strip(_LIST_SEPARATORS)
        return not rest or rest in self._titles

    def _title_before(self, text: str, name_start: int) -> tuple[int, str | None]:
        """The longest known title ending right before the name (e.g. 厅长张三), if any."""
        best = None
        for title in self._titles:
            begin = name_start - len(title)
            if begin >= 0 and text.startswith(title, begin) and (best is None or len(title) > len(best)):
                best = title
        return (name_start - len(best), best) if best else (name_start, None)

    # --- built-in rules ------------------------------------------------------------------------------
    @staticmethod
    def _punctuation(text: str) -> list[Finding]:
        findings = [
            Finding.at(
                text,
                m.start(),
                m.end(),
                category="punctuation",
                severity=Severity.WARNING,
                rule="punctuation:half-width",
                message="中文语境中使用了半角标点",
                suggestion=_HALF_TO_FULL[m.group()],
            )
            for m in _HALF_PUNCT.finditer(text)
            if _half_width_in_chinese(text, m.start(), m.group())
        ]
        findings += [
            Finding.at(
                text,
                m.start(),
                m.end(),
                category="punctuation",
                severity=Severity.WARNING,
                rule="punctuation:half-width-parens",
                message="中文语境中使用了半角括号",
                suggestion=f"（{m.group(1)}）",
            )
            for m in _HALF_PARENS.finditer(text)
        ]
        findings += [
            Finding.at(
                text,
                m.start(),
                m.end(),
                category="punctuation",
                severity=Severity.ERROR if m.group(1) in "，。、；：" else Severity.WARNING,
                rule="punctuation:doubled",
                message="标点重复",
                suggestion=m.group(1),
            )
            for m in _DOUBLED_MARK.finditer(text)
        ]
        stack: list[tuple[str, int]] = []
        for m in _BRACKETS.finditer(text):
            mark = m.group()
            if mark in _PAIRS:
                stack.append((mark, m.start()))
            elif stack and stack[-1][0] == _CLOSERS[mark]:
                stack.pop()
            else:
                findings.append(
                    Finding.at(
                        text,
                        m.start(),
                        m.end(),
                        category="punctuation",
                        severity=Severity.ERROR,
                        rule="punctuation:unpaired",
                        message=f"“{mark}”没有对应的“{_CLOSERS[mark]}”",
                    )
                )
        findings += [
            Finding.at(
                text,
                pos,
                pos + 1,
                category="punctuation",
                severity=Severity.ERROR,
                rule="punctuation:unpaired",
                message=f"“{mark}”没有对应的“{_PAIRS[mark]}”",
            )
            for mark, pos in stack
        ]
        return findings

    @staticmethod
    def _duplicates(text: str) -> list[Finding]:
        findings = []
        for m in _DOUBLED_CHAR.finditer(text):
            if any(_inside(text, m.start(), ok) for ok in _DOUBLED_CHAR_OK):
                continue
            findings.append(
                Finding.at(
                    text,
                    m.start(),
                    m.end(),
                    category="duplicate",
                    severity=Severity.ERROR,
                    rule="duplicate:char",
                    message="字重复",
                    suggestion=m.group(1),
                )
            )
        findings += [
            Finding.at(
                text,
                m.start(),
                m.end(),
                category="duplicate",
                severity=Severity.INFO,
                rule="duplicate:word",
                message="词语重复，请确认是否有意",
                suggestion=m.group(1),
            )
            for m in _DOUBLED_WORD.finditer(text)
        ]
        return findings

    @staticmethod
    def _traditional(text: str) -> list[Finding]:
        simplified = _t2s.convert(text)
        if simplified == text:
            return []
        if len(simplified) != len(text):
            simplified = "".join(c if len(c := _t2s.convert(ch)) == 1 else ch for ch in text)
        findings, run_start = [], None
        for block in range(0, len(text), _BLOCK):
            end = min(len(text), block + _BLOCK)
            if run_start is None and text[block:end] == simplified[block:end]:
                continue  # compared at C speed; only blocks that differ are walked character by character
            for index in range(block, end):
                differs = text[index] != simplified[index]
                if differs and run_start is None:
                    run_start = index
                elif not differs and run_start is not None:
                    findings.append(_traditional_finding(text, simplified, run_start, index))
                    run_start = None
        if run_start is not None:
            findings.append(_traditional_finding(text, simplified, run_start, len(text)))
        return findings

    @staticmethod
    def _pinyin(text: str) -> list[Finding]:
        findings = []
        for m in _PINYIN.finditer(text):
            syllable = m.group(1)
            if any(ch in _TONE for ch in syllable) or _SYLLABLE.match(syllable):
                findings.append(
                    Finding.at(
                        text,
                        m.start(),
                        m.end(),
                        category="pinyin",
                        severity=Severity.WARNING,
                        rule="pinyin:annotation",
                        message="正文中残留拼音注音",
                        suggestion="",
                    )
                )
        return findings

    @staticmethod
    def _numbers(text: str) -> list[Finding]:
        findings = [
            Finding.at(
                text,
                max(0, m.start() - 1),
                min(len(text), m.end() + 1),
                category="number",
                severity=Severity.WARNING,
                rule="number:mixed-numerals",
                message="汉字数字与阿拉伯数字混用",
            )
            for m in _DIGITS.finditer(text)
            if _mixed_numerals(text, m.start(), m.end())
        ]
        findings += [
            Finding.at(
                text,
                m.start(),
                m.end(),
                category="number",
                severity=Severity.WARNING,
                rule="number:full-width",
                message="使用了全角数字",
                suggestion=m.group().translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}),
            )
            for m in _FULL_WIDTH_DIGITS.finditer(text)
        ]
        for m in _DATE.finditer(text):
            if m.start() and text[m.start() - 1].isdigit():
                continue
            year_match = _YEAR_BEFORE.search(text, max(0, m.start() - 6), m.start())
            year = int(year_match.group(1)) if year_match else 2024  # a leap year: 2月29日 alone is a real date
            start = year_match.start() if year_match else m.start()
            try:
                dt.date(year, int(m.group(1)), int(m.group(2)))
            except ValueError:
                findings.append(
                    Finding.at(
                        text,
                        start,
                        m.end(),
                        category="number",
                        severity=Severity.ERROR,
                        rule="number:invalid-date",
                        message="日期不存在",
                    )
                )
        return findings


_BLOCK = 256


def _half_width_in_chinese(text: str, position: int, mark: str) -> bool:
    before = text[position - 1] if position else ""
    after = text[position + 1] if position + 1 < len(text) else ""
    if mark == ".":  # a full stop after Chinese, not a decimal point or an abbreviation
        return bool(before and _CJK_CHAR.match(before)) and (
            not after or after.isspace() or bool(_CJK_CHAR.match(after))
        )
    return bool((before and _CJK_CHAR.match(before)) or (after and _CJK_CHAR.match(after)))


def _mixed_numerals(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    following = text[end + 1] if end + 1 < len(text) else ""
    return (
        before in _CHINESE_DIGITS
        and bool(before)
        or (bool(after) and after in _CHINESE_DIGITS and following not in _MAGNITUDES)
    )


def _inside_suggestion(text: str, start: int, rule: Rule) -> bool:
    """Whether the term is part of its own suggestion written out (民工 inside 农民工)."""
    offset = rule.suggestion.find(rule.term) if rule.suggestion else -1
    return offset >= 0 and text.startswith(rule.suggestion, start - offset)


def _inside(text: str, position: int, word: str) -> bool:
    """Whether the doubled pair at `position` is part of `word` in the text."""
    for offset in range(len(word) - 1):
        begin = position - offset
        if begin >= 0 and text.startswith(word, begin):
            return True
    return False


def _traditional_finding(text: str, simplified: str, start: int, end: int) -> Finding:
    return Finding.at(
        text,
        start,
        end,
        category="traditional",
        severity=Severity.WARNING,
        rule="traditional:t2s",
        message="简体文本中混入繁体字",
        suggestion=simplified[start:end],
        source="OpenCC t2s",
    )


def _sentence_index(bounds: list[int], position: int) -> int:
    from bisect import bisect_right

    return bisect_right(bounds, position)
