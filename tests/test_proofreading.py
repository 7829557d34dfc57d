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
    call_command("proofread", str(story), "--json", "--roster", str(roster), stdout=out)
    findings = json.loads(out.getvalue())
    assert [f["rule"] for f in findings] == ["typo:再接再励", "typo:防讯"]
    assert set(findings[0]) >= {"start", "end", "text", "category", "severity", "suggestion", "rule"}


def test_cli_refuses_invalid_utf8_and_broken_rules(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(CommandError) as error:
        call_command("proofread", str(bad))
    assert "not UTF-8" in str(error.value) and error.value.returncode == 2
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.csv").write_text("nonsense\n")
    with pytest.raises(CommandError) as error:
        call_command("proofread", str(bad), "--rules", str(rules))
    assert "x.csv:1" in str(error.value)


def test_cli_from_stdin_exits_zero_with_findings():
    result = subprocess.run(
        [sys.executable, "-m", "tongpin", "proofread", "--json", "-"],
        input="北朝鲜".encode(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)[0]["suggestion"] == "朝鲜"
