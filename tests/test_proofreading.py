import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tongpin.review.proofreading import Checker, RuleError, load_rules, starter_rules
from tongpin.review.proofreading.roster import parse_roster
from tongpin.review.proofreading.rules import parse_rules

ROSTER = parse_roster("name,title,rank,former_titles\n张明远,厅长,1,副厅长\n李文华,副厅长,2,\n王建国,处长,5,\n")


@pytest.fixture(scope="module")
def checker():
    return Checker(starter_rules(), ROSTER)


def found(checker, text, **kwargs):
    return [(f.text, f.category, f.rule, f.suggestion) for f in checker.check(text, **kwargs)]


CLEAN = (
    "省应急管理厅厅长张明远、副厅长李文华出席会议。会议强调，要再接再厉做好防汛工作，"
    "确保人民群众生命财产安全。2023年9月27日，双方签订战略合作框架协议（以下简称《协议》）。"
    "专家提醒：“收到预警后，请及早转移。”气温达到3.5摄氏度，共有5千人参加演练。"
)


def test_clean_news_text_has_no_findings(checker):
    assert found(checker, CLEAN) == []


@pytest.mark.parametrize(
    "text,rule,suggestion",
    [
        ("要再接再励", "typo:再接再励", "再接再厉"),
        ("做好防讯工作", "typo:防讯", "防汛"),
        ("北朝鲜宣布", "prohibited:北朝鲜", "朝鲜"),
        ("关爱残废人", "prohibited:残废人", "残疾人"),
        ("全网最低价", "advert:最低价", None),
        ("国家级产品", "advert:国家级", None),
    ],
)
def test_listed_terms(checker, text, rule, suggestion):
    findings = [f for f in checker.check(text) if f.rule == rule]
    assert len(findings) == 1 and findings[0].suggestion == suggestion
    assert text[findings[0].start : findings[0].end] == findings[0].text
    assert findings[0].source  # every rule says where it comes from


def test_advert_terms_are_errors_in_promotional_copy(checker):
    assert checker.check("最低价")[0].severity == "warning"
    assert checker.check("最低价", strict_advert=True)[0].severity == "error"


TRIAL_SCRIPT = "史上最强的清远鸡，全网第一，最好吃的鸡！鸡汤最好喝，特效滋补。"  # the station trial's live script


def test_a_live_scripts_superlatives_and_medical_claims_are_errors(checker):
    flagged = [f for f in checker.check(TRIAL_SCRIPT, strict_advert=True) if f.category == "advert"]
    assert [f.text for f in flagged] == ["史上最强", "全网第一", "最好吃", "最好喝", "特效"]
    assert all(f.severity == "error" and "广告法" in f.source and f.message for f in flagged)
    for text, term in (("全国最正宗的英德红茶", "全国最正宗"), ("销售额第一", "销售额第一"), ("能治疗失眠", "治疗")):
        assert [f.text for f in checker.check(text, strict_advert=True) if f.category == "advert"] == [term]


def test_listed_superlatives_are_flagged_in_any_copy_patterns_only_in_promotional_copy(checker):
    assert [f.text for f in checker.check(TRIAL_SCRIPT) if f.category == "advert"] == ["全网第一", "最好吃", "最好喝"]


NEWS_WITH_SUPERLATIVES = (
    "最后，气象台提醒：明天最高气温12摄氏度，最低气温3摄氏度。最近一周冷空气频繁，最新消息显示，"
    "这是有记录以来史上最强的寒潮。医院正全力治疗伤员，电影特效团队也加入了救灾宣传。"
)
SCRIPT_WITHOUT_CLAIMS = "最后三单！最近很多朋友问，最新一批刚到，每人最多拍3单，最好提前下单，明天最高气温12摄氏度。"


def test_ordinary_words_with_zui_are_not_advert_terms(checker):
    assert [f for f in checker.check(NEWS_WITH_SUPERLATIVES) if f.category == "advert"] == []
    assert [f for f in checker.check(SCRIPT_WITHOUT_CLAIMS, strict_advert=True) if f.category == "advert"] == []


def test_punctuation(checker):
    rules = [r for _, _, r, _ in found(checker, "会议强调,要落实。。好(这是括号)《通知")]
    assert rules.count("punctuation:half-width") == 1
    assert "punctuation:doubled" in rules and "punctuation:half-width-parens" in rules
    assert "punctuation:unpaired" in rules
    assert [f.text for f in checker.check("增长3.5%,好") if f.category == "punctuation"] == [","]
    assert not [f for f in checker.check("版本 v1.2.3 发布") if f.category == "punctuation"]


def test_unpaired_closing_and_opening(checker):
    assert [f.text for f in checker.check("他说”好“") if f.rule == "punctuation:unpaired"] == ["”", "“"]


def test_duplicates(checker):
    assert ("的的", "duplicate", "duplicate:char", "的") in found(checker, "我们的的工作")
    assert not [f for f in checker.check("此事不了了之") if f.category == "duplicate"]
    assert [f.severity for f in checker.check("我们我们") if f.category == "duplicate"] == ["info"]


def test_traditional_characters(checker):
    findings = [f for f in checker.check("发挥應急廣播作用") if f.category == "traditional"]
    assert [(f.text, f.suggestion) for f in findings] == [("應", "应"), ("廣", "广")]
    assert not [f for f in checker.check("乾隆年间") if f.category == "traditional"]


def test_pinyin_annotations(checker):
    findings = [f for f in checker.check("应(yīng)急管理（guǎn）") if f.category == "pinyin"]
    assert [f.text for f in findings] == ["(yīng)", "（guǎn）"]
    assert not [f for f in checker.check("人工智能(AI)和国内生产总值(GDP)") if f.category == "pinyin"]


def test_numbers(checker):
    rules = [r for _, _, r, _ in found(checker, "二0二三年2月30日，２０２４年")]
    assert rules.count("number:mixed-numerals") == 1 and "number:invalid-date" in rules
    assert "number:full-width" in rules
    assert not [f for f in checker.check("2024年2月29日，第3届，5千人") if f.category == "number"]


def test_leader_titles_outdated_titles_and_order(checker):
    findings = checker.check("副厅长张明远和厅长李文华出席。李文华、张明远参加。")
    by_rule = {f.rule: f for f in findings}
    assert by_rule["leader:outdated-title"].suggestion == "厅长张明远"
    assert by_rule["leader:wrong-title"].suggestion == "副厅长李文华"
    assert by_rule["leader:order"].text == "张明远"
    assert not [f for f in checker.check("张明远、李文华、王建国出席。") if f.category == "leader"]


def test_a_deputy_title_is_not_read_as_the_title():
    only_head = Checker(roster=parse_roster("name,title,rank\n张明远,厅长,1\n"))
    assert [f.rule for f in only_head.check("副厅长张明远")] == ["leader:wrong-title"]
    assert only_head.check("厅长张明远") == []


def test_length_limit(checker):
    findings = [f for f in checker.check("一" * 75, max_chars=70) if f.category == "length"]
    assert [(f.start, f.end, f.severity) for f in findings] == [(70, 75, "error")]


@pytest.mark.parametrize("text", ["", "😀🚒" * 100, "\x00\x01\x1b[31m应急\x7f", "ABC english only", "a" * 10])
def test_odd_input_never_crashes(checker, text):
    for f in checker.check(text):
        assert text[f.start : f.end] == f.text


def test_megabytes_of_text(checker):
    text = (CLEAN + "再接再励。") * 8000  # ~1.3 M characters
    findings = checker.check(text)
    assert len([f for f in findings if f.rule == "typo:再接再励"]) == 8000


def test_plugins_add_findings():
    from tongpin.review.proofreading import Finding

    def shout(text):
        return [Finding(0, 1, text[:1], "custom", "info", None, "plugin:first")]

    assert [f.rule for f in Checker(plugins=[shout]).check("好")] == ["plugin:first"]


def test_broken_rule_files_name_the_line(tmp_path):
    with pytest.raises(RuleError) as error:
        parse_rules("category,term,suggestion,severity,source,note\ntypo,对,错,error,x,\ntypo,,x,error,x,\n", "r.csv")
    assert error.value.line == 3 and "r.csv:3" in str(error.value)
    for bad, line in [
        ("wrong,header\n", 1),
        ("category,term,suggestion,severity,source,note\nspam,x,y,error,s,\n", 2),
        ("category,term,suggestion,severity,source,note\ntypo,x,y,fatal,s,\n", 2),
        ("category,term,suggestion,severity,source,note\ntypo,x,y,error,s,\ntypo,x,z,error,s,\n", 3),
    ]:
        with pytest.raises(RuleError) as error:
            parse_rules(bad)
        assert error.value.line == line


def test_a_broken_file_refuses_the_whole_folder(tmp_path):
    (tmp_path / "a.csv").write_text("category,term,suggestion,severity,source,note\ntypo,甲,乙,error,s,\n")
    (tmp_path / "b.csv").write_text("category,term,suggestion,severity,source,note\ntypo,丙\n")
    with pytest.raises(RuleError) as error:
        load_rules(tmp_path)
    assert error.value.name == "b.csv" and error.value.line == 2


def test_roster_errors():
    for bad in ["name,title\n", "name,title,rank\n张三,厅长,first\n", "name,title,rank\n张三,厅长,1\n张三,处长,2\n"]:
        with pytest.raises(RuleError):
            parse_roster(bad)


def test_cli_json(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("要再接再励，做好防讯工作。", encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("name,title,rank\n张明远,厅长,1\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_code:  # typos are errors: exit status 1 (docs/operations.md)
        call_command("proofread", str(story), "--json", "--roster", str(roster), stdout=out)
    assert exit_code.value.code == 1
    document = json.loads(out.getvalue())
    assert document["ok"] is False and document["errors"] == 2 and document["file"] == str(story)
    findings = document["findings"]
    assert [f["rule"] for f in findings] == ["typo:再接再励", "typo:防讯"]
    assert set(findings[0]) >= {"start", "end", "text", "category", "severity", "suggestion", "rule"}


def test_cli_refuses_invalid_utf8_and_broken_rules(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(CommandError) as error:
        call_command("proofread", str(bad))
    assert "UTF-8" in str(error.value) and error.value.returncode == 2
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.csv").write_text("nonsense\n")
    with pytest.raises(CommandError) as error:
        call_command("proofread", str(bad), "--rules", str(rules))
    assert "x.csv:1" in str(error.value) and error.value.returncode == 2
    clean = tmp_path / "clean.txt"
    clean.write_text("今天天气很好。", encoding="utf-8")
    out = io.StringIO()
    call_command("proofread", str(clean), "--json", stdout=out)  # no finding: exit status 0
    assert json.loads(out.getvalue()) == {"file": str(clean), "ok": True, "characters": 7, "errors": 0,
                                          "findings": []}  # fmt: skip


def test_cli_from_stdin_exits_one_with_error_findings():
    result = subprocess.run(
        [sys.executable, "-m", "tongpin", "proofread", "--json", "-"],
        input="北朝鲜".encode(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 1  # an error-level finding (docs/operations.md「命令行约定」)
    assert json.loads(result.stdout)["findings"][0]["suggestion"] == "朝鲜"


# --- near-misses of known idioms and words (no list names them) -------------------------------------------
@pytest.mark.parametrize(
    "text,wrong,meant",
    [
        ("双方的合作可谓水到渠城。", "水到渠城", "水到渠成"),  # homophone 城/成
        ("他对这项工作一窍不痛。", "一窍不痛", "一窍不通"),  # homophone 痛/通
        ("这座古桥饱经风双。", "饱经风双", "饱经风霜"),  # homophone 双/霜
        ("各方面的困难接肿而至。", "接肿而至", "接踵而至"),  # homophone 肿/踵
        ("节目形式别具一格，令人耳目一欣。", "耳目一欣", "耳目一新"),
    ],
)
def test_near_miss_of_an_idiom_is_reported_with_the_idiom(checker, text, wrong, meant):
    assert wrong not in {r.term for r in starter_rules()}  # no list names it
    hits = [f for f in checker.check(text) if f.rule == "typo:near-miss"]
    assert [(f.text, f.suggestion, f.severity) for f in hits] == [(wrong, meant, "warning")]
    assert text[hits[0].start : hits[0].end] == wrong


def test_near_miss_through_a_look_alike_character():
    from tongpin.review.proofreading.nearmiss import NearMiss

    readings = {"戊": ["wu"], "戌": ["xu"], "变": ["bian"], "法": ["fa"]}
    lexicon = NearMiss(readings, {"戊": {"戌"}, "戌": {"戊"}}, [("戊戌变法", 50, "I")])
    assert [(h.text, h.suggestion) for h in lexicon.find("史称戊戍变法。")] == []  # 戍 is not in the table
    assert [(h.text, h.suggestion, h.kind) for h in lexicon.find("史称戌戌变法。")] == [
        ("戌戌变法", "戊戌变法", "lookalike")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "双方的合作可谓水到渠成。",
        "在进一步扩大开放的同时，要守住安全底线。",  # 在 + 进一步, not a misspelt 再进一步
        "这个人是部门里最年轻的干部。",  # 人 + 是 + 部门
        "要再接再厉，一鼓作气完成任务。",
        "他在会上作了发言，大家各抒己见。",
    ],
)
def test_near_miss_leaves_correct_text_alone(checker, text):
    assert not [f for f in checker.check(text) if f.rule == "typo:near-miss"]


def test_a_listed_typo_is_not_reported_twice(checker):
    assert [f.rule for f in checker.check("要再接再励。") if f.category == "typo"] == ["typo:再接再励"]


def test_checker_without_the_lexicon():
    assert Checker(nearmiss=False).check("水到渠城") == []


# --- news-style banned and discouraged terms ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text,term,suggestion",
    [
        ("台湾政府宣布", "台湾政府", "台湾当局"),
        ("公司法人代表", "法人代表", "法定代表人"),
        ("关于喇嘛教的介绍", "喇嘛教", "藏传佛教"),
        ("一位精神病人走失", "精神病人", "精神障碍患者"),
        ("安置灾民", "灾民", "受灾群众"),
    ],
)
def test_news_style_lists_by_category(checker, text, term, suggestion):
    hit = [f for f in checker.check(text) if f.category == "prohibited"]
    assert [(f.text, f.suggestion) for f in hit] == [(term, suggestion)]
    assert hit[0].source and hit[0].message.startswith("【")


def test_a_term_inside_its_own_suggestion_is_not_reported(checker):
    assert not [f for f in checker.check("农民工返乡创业") if f.category == "prohibited"]
    assert [f.text for f in checker.check("民工返乡") if f.category == "prohibited"] == ["民工"]


# --- leaders listed without titles --------------------------------------------------------------------------
def test_untitled_name_list_out_of_rank_order(checker):
    findings = [f for f in checker.check("王建国、李文华等参加调研。") if f.rule == "leader:order"]
    assert [f.text for f in findings] == ["李文华"]
    assert [f.text for f in checker.check("王建国、副厅长李文华出席。") if f.rule == "leader:order"] == ["李文华"]


def test_names_that_are_not_a_list_keep_their_order(checker):
    assert not [f for f in checker.check("王建国向李文华汇报了工作。") if f.category == "leader"]
    assert not [f for f in checker.check("李文华、王建国等参加调研。") if f.category == "leader"]


# --- impossible dates and times -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,rule",
    [
        ("定于6月31日举行", "number:invalid-date"),
        ("定于六月三十一日举行", "number:invalid-date"),
        ("2027年2月29日", "number:invalid-date"),
        ("凌晨26时发生", "number:invalid-time"),
        ("9时61分开始", "number:invalid-time"),
        ("上午13时开会", "number:time-period"),
        ("晚上28点许", "number:invalid-time"),
        ("今年第八季度", "number:invalid-quarter"),
        ("自16月份起", "number:invalid-month"),
        ("2026年12月3日（星期五）", "number:weekday"),
    ],
)
def test_impossible_dates_and_times(checker, text, rule):
    assert rule in [f.rule for f in checker.check(text)]


def test_weekday_suggestion_and_possible_dates_and_times(checker):
    weekday = [f for f in checker.check("2026年12月3日（星期五）") if f.rule == "number:weekday"]
    assert weekday[0].suggestion == "星期四" and weekday[0].severity == "error"
    for text in [
        "2024年2月29日（星期四）",
        "农历二月三十日",
        "24时整",
        "23时59分",
        "下午3时",
        "提出25点意见",
        "工作25时间",
        "第四季度",
        "12月底",
        "比分25:23",
        "连续工作30小时",
    ]:
        assert not [f for f in checker.check(text) if f.category == "number"], text


# --- 的/地/得 in the clear cases ----------------------------------------------------------------------------
def test_de_di_de_clear_cases(checker):
    def fixes(text):
        return [(f.start, f.suggestion) for f in checker.check(text) if f.rule == "typo:de-di-de"]

    assert fixes("工作完成的非常出色。") == [(4, "得")]
    assert fixes("她兴奋的说：“我们赢了！”") == [(3, "地")]
    assert fixes("他轻轻的点头。") == [(3, "地")]
    assert fixes("他说的很对。") == [(2, "得")]
    for clean in ["他的很多想法", "采取的非常措施", "目的很明确。", "亲切的问候", "真的很好。", "他说得很对。"]:
        assert fixes(clean) == [], clean


# --- quotation marks ----------------------------------------------------------------------------------------
def test_quotation_running_over_paragraphs(checker):
    def unpaired(text):
        return [f.start for f in checker.check(text) if f.rule == "punctuation:unpaired"]

    assert unpaired("他说：“第一段。\n“第二段。”") == []  # the continuation mark of a multi-paragraph quotation
    assert unpaired("他说：“第一段。\n第二段没有前引号。”")[0] == 3
    assert unpaired("他说：“没有后引号。") == [3]


def test_nested_and_straight_quotes(checker):
    rules = [(f.text, f.rule) for f in checker.check("他说：“大家叫他“铁人”。”")]
    assert ("“", "punctuation:nested-quotes") in rules
    assert [f.suggestion for f in checker.check('他说"好"。') if f.rule == "punctuation:straight-quote"] == ["“", "”"]
    assert not [f for f in checker.check('print("ok")') if f.category == "punctuation"]


# --- units --------------------------------------------------------------------------------------------------
def test_one_story_one_way_of_writing_a_unit(checker):
    findings = [f for f in checker.check("干渠长8千米，支渠长3公里，另有2千米在建。") if f.rule == "number:mixed-units"]
    assert [(f.text, f.suggestion, f.severity) for f in findings] == [("公里", "千米", "info")]
    assert not [f for f in checker.check("全长8公里，其中3公里在山区；重5公斤。") if f.rule == "number:mixed-units"]
    assert not [f for f in checker.check("从3方面入手，双方协商。") if f.category == "number"]
    magnitude = [f.text for f in checker.check("占地1.2万平方米，其中绿地3000平米。") if f.rule == "number:mixed-units"]
    assert magnitude == ["平米"]


def test_near_miss_uses_the_reading_in_context(checker):
    # 薄 is mainly báo, but bó in 薄利多销: 博 (bó) is a near-miss of it, 底 (dǐ) is not one of 提前 (tí).
    assert [(f.text, f.suggestion) for f in checker.check("商家博利多销。") if f.rule == "typo:near-miss"] == [
        ("博利多销", "薄利多销")
    ]
    assert not [f for f in checker.check("工程要在月底前完成。") if f.rule == "typo:near-miss"]


def test_near_miss_finds_a_typed_character_outside_the_lexicon(checker):
    # 佰 occurs in no lexicon word; its reading comes from the GB 2312 part of the readings table.
    hits = [(f.text, f.suggestion) for f in checker.check("园区里佰花齐放。") if f.rule == "typo:near-miss"]
    assert hits == [("佰花齐放", "百花齐放")]


def test_a_listed_term_without_a_note_still_says_what_is_wrong():
    from tongpin.review.proofreading import Checker, starter_rules

    [finding] = [f for f in Checker(starter_rules()).check("这是全国最好的红茶。") if f.category == "advert"]
    assert finding.message == "广告中不得使用的用语。"
