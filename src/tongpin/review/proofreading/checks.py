"""Built-in checks beyond the lists: impossible dates and times, clear 的/地/得 misuse, quotation marks, units.

Each takes the text and returns findings; each flags only patterns written for it, so clean copy stays clean.
"""

import datetime as dt
import re

from .finding import Finding, Severity

_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = "〇零一二三四五六七八九十"
_WEEKDAYS = "一二三四五六日"


def chinese_number(word: str) -> int | None:
    """十 → 10, 二十三 → 23, 三十一 → 31, 二〇二四 → 2024 (digit by digit); None if it is not one."""
    if not word or any(ch not in _CN_NUMBER for ch in word):
        return None
    if "十" not in word:
        return int("".join(str(_CN_DIGIT[ch]) for ch in word))
    tens, _, units = word.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return None
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0)


# --- dates and times ------------------------------------------------------------------------------------
_CN_MONTH = re.compile(f"([{_CN_NUMBER}]{{1,3}})$")  # before a 月
_CN_DAY = re.compile(f"([{_CN_NUMBER}]{{1,3}})日")  # after it
_CN_YEAR_BEFORE = re.compile("([〇零一二三四五六七八九]{4})年$")
_LUNAR = re.compile("(?:农历|阴历|夏历|正月|腊月)")
_MONTH_ONLY = re.compile(r"(\d+)月")
_MONTH_FOLLOWERS = ("份", "初", "底", "末", "中旬", "上旬", "下旬")
_YEAR_JUST_BEFORE = re.compile(r"\d{4}年$")
_CLOCK = re.compile(r"(\d+)(时|点)(?:(\d{1,2})分)?")
_NOT_CLOCK_AFTER = tuple("间期代候段节速效长差区态空针")
_POINT_CONTEXT = re.compile(
    "(?:凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|当晚|当天|今天|明天|昨天|今晨|日|晚|早)$"
)
_MORNING = re.compile("(?:凌晨|早上|早晨|上午)$")
_QUARTER = re.compile(r"第([五六七八九十]|[05-9]|\d{2,})季度")
_WEEKDAY_WORD = re.compile("(?:星期|周|礼拜)([一二三四五六日天])")
_DATE_BEFORE_WEEKDAY = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日[（(，, ]?$")
_MONTH_CHAR = re.compile("月")


def dates_and_times(text: str) -> list[Finding]:
    """Each pattern runs only when its key character is in the text (a regex scan per pattern costs more)."""
    findings = []
    if "月" in text:
        findings += _dates(text)
    if "时" in text or "点" in text:
        findings += _clock_times(text)
    if "季度" in text:
        findings += _quarters(text)
    if "星期" in text or "周" in text or "礼拜" in text:
        findings += _weekdays(text)
    return findings


def _dates(text: str) -> list[Finding]:
    findings = []
    for moon in _MONTH_CHAR.finditer(text):  # anchored on 月: a scan for the numerals would try every 一
        month_match = _CN_MONTH.search(text, max(0, moon.start() - 3), moon.start())
        day_match = _CN_DAY.match(text, moon.end())
        if not month_match or not day_match:
            continue
        start = month_match.start()
        if _LUNAR.search(text, max(0, start - 4), start) or (start and text[start - 1] in _CN_NUMBER):
            continue
        year_match = _CN_YEAR_BEFORE.search(text, max(0, start - 5), start)
        year = chinese_number(year_match.group(1)) if year_match else 2024
        start = year_match.start() if year_match else start
        month, day = chinese_number(month_match.group(1)), chinese_number(day_match.group(1))
        if month is None or day is None or year is None:
            continue
        try:
            dt.date(year, month, day)
        except ValueError:
            end = day_match.end()
            findings.append(
                Finding.at(
                    text,
                    start,
                    end,
                    category="number",
                    severity=Severity.ERROR,
                    rule="number:invalid-date",
                    message="日期不存在",
                )
            )
    for m in _MONTH_ONLY.finditer(text):
        if len(m.group(1)) > 2 or (m.start() and text[m.start() - 1] == "."):
            continue
        month = int(m.group(1))
        dated = text.startswith(_MONTH_FOLLOWERS, m.end()) or _YEAR_JUST_BEFORE.search(
            text, max(0, m.start() - 5), m.start()
        )
        if dated and not 1 <= month <= 12:
            findings.append(
                Finding.at(
                    text,
                    m.start(),
                    m.end(),
                    category="number",
                    severity=Severity.ERROR,
                    rule="number:invalid-month",
                    message="月份不存在",
                )
            )
    return findings


def _clock_times(text: str) -> list[Finding]:
    findings = []
    for m in _CLOCK.finditer(text):
        if len(m.group(1)) > 2 or (m.start() and text[m.start() - 1] in ".:："):
            continue
        hour, unit, minute = int(m.group(1)), m.group(2), m.group(3)
        after = text[m.end(2)] if m.end(2) < len(text) else ""
        if minute is None and after in _NOT_CLOCK_AFTER:
            continue
        before = text[max(0, m.start() - 2) : m.start()]
        if unit == "点" and minute is None and after not in "半整钟" and not _POINT_CONTEXT.search(before):
            continue  # 25点意见 is a count, not a time
        minutes = int(minute) if minute else 0
        if hour > 24 or minutes > 59 or (hour == 24 and minutes):
            findings.append(
                Finding.at(
                    text,
                    m.start(),
                    m.end(),
                    category="number",
                    severity=Severity.ERROR,
                    rule="number:invalid-time",
                    message="时刻不存在",
                )
            )
        elif hour > 12 and _MORNING.search(before):
            findings.append(
                Finding.at(
                    text,
                    m.start() - 2,
                    m.end(),
                    category="number",
                    severity=Severity.WARNING,
                    rule="number:time-period",
                    message="上午、凌晨与 12 时以后的钟点矛盾",
                )
            )
    return findings


def _quarters(text: str) -> list[Finding]:
    findings = []
    for m in _QUARTER.finditer(text):
        number = chinese_number(m.group(1)) if not m.group(1).isdigit() else int(m.group(1))
        if number is None or not 1 <= number <= 4:
            findings.append(
                Finding.at(
                    text,
                    m.start(),
                    m.end(),
                    category="number",
                    severity=Severity.ERROR,
                    rule="number:invalid-quarter",
                    message="季度不存在",
                )
            )
    return findings


def _weekdays(text: str) -> list[Finding]:
    findings = []
    for word in _WEEKDAY_WORD.finditer(text):
        m = _DATE_BEFORE_WEEKDAY.search(text, max(0, word.start() - 14), word.start())
        if not m:
            continue
        try:
            date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue  # the date itself is reported
        written = "日" if word.group(1) == "天" else word.group(1)
        actual = _WEEKDAYS[date.weekday()]
        if written != actual:
            findings.append(
                Finding.at(
                    text,
                    word.start(),
                    word.end(),
                    category="number",
                    severity=Severity.ERROR,
                    rule="number:weekday",
                    message=f"{date.year}年{date.month}月{date.day}日是星期{actual}",
                    suggestion=f"星期{actual}",
                )
            )
    return findings


# --- 的/地/得: only the clear cases ------------------------------------------------------------------------
_DEGREE = "很|非常|十分|特别|格外|相当|更加|越来越|极其|比较|异常"
# 进展的十分顺利。 → 得: a degree adverb and a short adjective closing the clause after 的 is a complement.
_DE_COMPLEMENT = re.compile(rf"的(?=(?:{_DEGREE})[\u4e00-\u9fff]{{1,2}}(?:[，。！？；、”]|$))")
# 高兴的说： → 地: a manner word before a verb of saying that opens a quotation or a clause.
_MANNER = "高兴|激动|兴奋|感慨|动情|深情|认真|耐心|仔细|热情|亲切|自豪|坚定|郑重|笑着|笑眯眯|开心|感激|诚恳|满意"
_MANNER_WORDS = tuple(_MANNER.split("|"))
_DI_ADVERBIAL = re.compile("(的)(?=(?:说|表示|介绍|讲|回答|告诉记者|解释)[：:，,“])")
# 慢慢的走 → 地: a doubled adverb before a verb of motion or speech.
_DI_DOUBLED = re.compile("(的)(?=(?:说|走|跑|点头|摇头|笑|问|答)[，。：“])")
_DE_NOT_AFTER = ("目", "真", "的")  # 目的很明确, 真的很好: 的 is part of a word


def de_di_de(text: str) -> list[Finding]:
    findings = []
    for m in _DE_COMPLEMENT.finditer(text):
        before = text[max(0, m.start() - 3) : m.start()]
        if not before or before[-1] in _DE_NOT_AFTER or not _PREDICATE_BEFORE.search(before):
            continue
        findings.append(
            Finding.at(
                text,
                m.start(),
                m.end(),
                category="typo",
                severity=Severity.WARNING,
                rule="typo:de-di-de",
                message="补语前应用“得”",
                suggestion="得",
            )
        )
    for pattern, before_ok in ((_DI_ADVERBIAL, _after_manner_word), (_DI_DOUBLED, _after_doubled_character)):
        for m in pattern.finditer(text):
            if not before_ok(text, m.start()):
                continue
            start, end = m.span(1)
            findings.append(
                Finding.at(
                    text,
                    start,
                    end,
                    category="typo",
                    severity=Severity.WARNING,
                    rule="typo:de-di-de",
                    message="状语后应用“地”",
                    suggestion="地",
                )
            )
    return findings


def _after_manner_word(text: str, position: int) -> bool:
    return text.endswith(_MANNER_WORDS, max(0, position - 3), position)


def _after_doubled_character(text: str, position: int) -> bool:
    return position >= 2 and text[position - 1] == text[position - 2] and _CJK_IDEOGRAPH.match(text[position - 1])


_CJK_IDEOGRAPH = re.compile("[\u4e00-\u9fff]")


# Verbs and adjectives that take a complement (做得很好, 开展得十分顺利); a noun before 的 (他的很多) is left alone.
_PREDICATE_BEFORE = re.compile(
    "(?:做|干|办|写|说|讲|跑|走|来|去|开展|进行|推进|发展|落实|完成|准备|组织|安排|建设|实施|执行|处理|解决|恢复|进展|"
    "变|长|过|活|学|吃|睡|唱|演|玩|打|搞|管|抓|做好|运行|运转|增长|下降|上升|提高|改善|布置|设计|保护|保存|整治|清理)$"
)


# --- quotation marks: pairs within paragraphs, continuation marks, straight quotes, nesting ------------------
_STRAIGHT_QUOTE = re.compile(r'"')
_QUOTE_OR_BREAK = re.compile("[“”\n]")
_CJK = re.compile("[\u4e00-\u9fff\u3400-\u4dbf，。、；：！？]")


def quotes(text: str) -> list[Finding]:
    """“ ” pairs. A quotation running over paragraphs repeats “ at the start of each paragraph and closes once
    (GB/T 15834); a paragraph ending inside a quotation without that, or a “ never closed, is reported."""
    findings = []
    open_at: list[int] = []
    depth_two = []
    for mark in _QUOTE_OR_BREAK.finditer(text):
        index, ch = mark.start(), mark.group()
        if ch == "“":
            if open_at and index and text[index - 1] == "\n":
                continue  # the continuation mark of a multi-paragraph quotation
            open_at.append(index)
            if len(open_at) == 2:
                depth_two.append(index)
        elif ch == "”":
            if open_at:
                open_at.pop()
            else:
                findings.append(_unpaired(text, index, "“"))
        elif ch == "\n" and open_at:
            following = text[index + 1 : index + 2]
            if following and following not in "“\n":
                message = "段落结束时引号仍未闭合（跨段引文每段开头应加前引号）"
                findings += [_unpaired(text, pos, "”", message) for pos in open_at]
                open_at = []
    findings += [_unpaired(text, pos, "”") for pos in open_at]
    findings += [
        Finding.at(
            text,
            pos,
            pos + 1,
            category="punctuation",
            severity=Severity.WARNING,
            rule="punctuation:nested-quotes",
            message="引号内用单引号",
            suggestion="‘",
        )
        for pos in depth_two
        if pos not in {f.start for f in findings}
    ]
    straight = [m.start() for m in _STRAIGHT_QUOTE.finditer(text)]
    for number, pos in enumerate(straight):
        near = text[max(0, pos - 1) : pos + 2]
        if _CJK.search(near):
            findings.append(
                Finding.at(
                    text,
                    pos,
                    pos + 1,
                    category="punctuation",
                    severity=Severity.WARNING,
                    rule="punctuation:straight-quote",
                    message="中文语境中使用了半角引号",
                    suggestion="“" if number % 2 == 0 else "”",
                )
            )
    return findings


def _unpaired(text: str, pos: int, partner: str, message: str = "") -> Finding:
    return Finding.at(
        text,
        pos,
        pos + 1,
        category="punctuation",
        severity=Severity.ERROR,
        rule="punctuation:unpaired",
        message=message or f"“{text[pos]}”没有对应的“{partner}”",
    )


# --- units: one story, one way of writing each unit -------------------------------------------------------
UNIT_GROUPS = (
    ("公里", "千米", "km"),
    ("公斤", "千克", "kg"),
    ("平方米", "平米", "㎡", "m²"),
    ("平方公里", "平方千米", "km²"),
    ("摄氏度", "℃"),
    ("毫米", "mm"),
    ("立方米", "方", "m³"),
)
_UNIT_OF = {unit: group for group in UNIT_GROUPS for unit in group}
_QUANTITY = re.compile(  # 万 and 亿 may stand between number and unit (2万平方米); 千 would eat 千米
    r"\d+(?:\.\d+)?\s*(?:万|亿)?("
    + "|".join(sorted((re.escape(u) for u in _UNIT_OF), key=len, reverse=True))
    + r")(?![A-Za-z])"
)
_NOT_A_UNIT_AFTER = {"方": tuple("面法向式案针便位")}  # 3方面, 双方: 方 is a unit only when it stands alone


def units(text: str) -> list[Finding]:
    first: dict[tuple[str, ...], str] = {}
    findings = []
    for m in _QUANTITY.finditer(text):
        if m.start() and text[m.start() - 1].isascii() and text[m.start() - 1].isalpha():
            continue  # part of a code such as v2km
        unit = m.group(1)
        after = text[m.end(1) : m.end(1) + 1]
        if after and after in _NOT_A_UNIT_AFTER.get(unit, ()):
            continue
        group = _UNIT_OF[unit]
        used = first.setdefault(group, unit)
        if unit != used:
            findings.append(
                Finding.at(
                    text,
                    m.start(1),
                    m.end(1),
                    category="number",
                    severity=Severity.INFO,
                    rule="number:mixed-units",
                    message=f"同一稿件中“{used}”与“{unit}”混用，宜统一",
                    suggestion=used,
                )
            )
    return findings


# --- advert claims in promotional copy (strict_advert only) -----------------------------------------------
# Patterns rather than list terms, and only for promotional copy (live scripts, product claims): in news,
# 史上最强台风, 电影特效 and 治疗方案 are ordinary words. Each pattern names what it flags; 最后, 最近, 最终, 最新,
# 最多 (每人最多拍3单), 最高 (最高气温, 最高可省) and 最好 as an adverb (最好提前下单) are left alone.
_SUPERLATIVE_ADJECTIVES = (
    "好吃|好喝|好用|好看|好卖|便宜|实惠|划算|优惠|低价|正宗|地道|新鲜|健康|安全|有效|畅销|热销|受欢迎|先进|"
    "专业|权威|纯正|营养|靠谱|高端|优质|强|优|佳|低(?!气温|温度)|嫩|香|甜|鲜|棒|牛|全|火|大"
)
_SUPERLATIVE = re.compile(
    f"史上最[\u4e00-\u9fff]|(?:全网|全球|全国|全省|全市|全城|世界)?最(?:{_SUPERLATIVE_ADJECTIVES})"
)
_NUMBER_ONE = re.compile(
    "(?:全网|全国|全球|全世界|世界|全省|全市|全城|全行业|行业|同类|品类|销量|销售额|排名|人气|口碑|史上)第一"
)
_MEDICAL = re.compile("特效|治疗|疗效|治愈|药效|抗癌|防癌")
_ADVERT_LAW = "《中华人民共和国广告法》"
_ADVERT_PATTERNS = (
    (_SUPERLATIVE, "advert:superlative", f"{_ADVERT_LAW}第九条", "绝对化用语：广告中不得使用“最高级”“最佳”等用语。"),
    (_NUMBER_ONE, "advert:number-one", f"{_ADVERT_LAW}第九条", "绝对化用语：广告中不得使用“第一”等用语。"),
    (
        _MEDICAL,
        "advert:medical",
        f"{_ADVERT_LAW}第十七条",
        "除医疗、药品、医疗器械广告外，广告不得涉及疾病治疗功能，不得使用医疗用语。",
    ),
)


def advert_claims(text: str) -> list[Finding]:
    """Absolute terms (最好吃, 史上最强, 全网第一) and medical terms (特效, 治疗) in promotional copy: errors."""
    return [
        Finding.at(
            text,
            m.start(),
            m.end(),
            category="advert",
            severity=Severity.ERROR,
            rule=rule,
            message=message,
            source=source,
        )
        for pattern, rule, source, message in _ADVERT_PATTERNS
        for m in pattern.finditer(text)
    ]
