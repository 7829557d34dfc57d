"""The warning pages as the duty officer uses them: decisions with a note, the spoken warning to listen to before
and after release, CAP codes shown by name in the reader's language, the intake's answer."""

import html
import re
import shutil

import pytest

from tongpin.alerts.intake import receive
from tongpin.alerts.models import Alert, AlertState, Coverage, ReleasePolicy
from tongpin.core.audit import Actor
from tongpin.core.models import ApiToken, AuditEvent
from tongpin.publishing.models import Channel

from .publishing_support import Sink, make_channel
from .test_alerts_cap import cap

KINDS = ["radio", "sms", "weibo"]
needs_speech = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")


@pytest.fixture
def sink():
    with Sink() as running:
        yield running


@pytest.fixture
def channels(users, sink):
    made = {}
    for kind in KINDS:
        channel = make_channel(users["admin"], kind, "webhook", slug=f"jx-{kind}", url=sink.url, secret="k")
        Coverage.objects.create(channel=channel, area_codes=["360000"], min_level="blue")
        made[kind] = channel
    return made


def pending_alert(sender) -> Alert:
    [received] = receive(Actor(user=sender), cap())  # no release policy: waits for a duty officer
    assert received.alert.state == AlertState.PENDING
    return received.alert


def audited(alert: Alert, action: str) -> AuditEvent:
    return AuditEvent.objects.get(object_type="alerts.alert", object_id=str(alert.pk), action=action)


def test_confirm_from_the_console_keeps_the_note_audits_it_and_shows_it_in_the_history(
    users, sender, channels, client_for
):
    alert = pending_alert(sender)
    duty = client_for("duty")
    console = duty.get("/alerts/").content.decode()
    # The console itself offers the decision, with a note field, for every pending alert.
    assert f'id="decide-{alert.pk}"' in console and 'name="note"' in console
    assert f'action="/alerts/{alert.pk}/confirm/"' in console and f'formaction="/alerts/{alert.pk}/reject/"' in console
    answer = duty.post(f"/alerts/{alert.pk}/confirm/", {"note": "已电话核实，同意发布", "back": "console"})
    assert answer.status_code == 302 and answer["Location"] == "/alerts/"  # back to the console
    alert.refresh_from_db()
    assert alert.state == AlertState.RELEASED and alert.decision_note == "已电话核实，同意发布"
    assert audited(alert, "alert.confirmed").changes["note"] == "已电话核实，同意发布"
    page = duty.get(f"/alerts/{alert.pk}/").content.decode()
    history = page.split('id="history"')[1]
    assert "确认发布预警" in history and "已电话核实，同意发布" in history and "值班员 duty" not in history
    assert history.index("收到") < history.index("确认发布预警") < history.index("已发布")


def test_reject_keeps_the_typed_note_not_a_fixed_text_and_audits_it(users, sender, channels, client_for):
    alert = pending_alert(sender)
    duty = client_for("duty")
    form = duty.get(f"/alerts/{alert.pk}/").content.decode()
    assert 'type="hidden" name="note"' not in form  # no hidden, fixed reason any more
    assert duty.post(f"/alerts/{alert.pk}/reject/", {"note": "与省台核对，属误报"}).status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.REJECTED and alert.decision_note == "与省台核对，属误报"
    event = audited(alert, "alert.rejected")
    assert event.changes["note"] == "与省台核对，属误报" and event.changes["state"] == ["pending", "rejected"]
    assert "与省台核对，属误报" in duty.get(f"/alerts/{alert.pk}/").content.decode().split('id="history"')[1]


def test_api_decisions_audit_the_note_and_refuse_one_too_long(users, sender, channels, client, token_for):
    alert = pending_alert(sender)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for('duty')}"}
    url = f"/api/v1/alerts/{alert.pk}/reject"
    too_long = client.post(url, data={"note": "长" * 301}, content_type="application/json", **auth)
    assert too_long.status_code == 422
    done = client.post(url, data={"note": "误报"}, content_type="application/json", **auth)
    assert done.status_code == 200 and done.json()["state"] == "rejected"
    assert audited(alert, "alert.rejected").changes["note"] == "误报"
    # The confirm/reject body is documented as itself, not as the review decision's (same class name before).
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/alerts/{alert_id}/confirm"]["post"]["requestBody"]["content"]["application/json"]
    name = body["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][name]["properties"]) == {"note"}


def test_the_intake_answer_lists_renditions_and_deliveries(users, sender, channels, client):
    ReleasePolicy.objects.create(name="自动", sender="*", min_level="blue", action="auto")
    token = ApiToken.issue(sender, "weather")[1]
    answer = client.post("/api/v1/alerts/cap", data=cap(), content_type="application/xml",
                         HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert sorted(r["channel"] for r in body["renditions"]) == ["jx-radio", "jx-sms", "jx-weibo"]
    assert sorted((d["channel"], d["state"]) for d in body["deliveries"]) == [
        ("jx-radio", "pending"),
        ("jx-sms", "pending"),
        ("jx-weibo", "pending"),
    ]
    assert [link["id"] for link in body["chain"]] == [body["id"]]
    one = cap().split(b"?>", 1)[1]
    wrapped = b"<alerts>" + one.replace(b"JX-2026-001", b"JX-2") + one.replace(b"JX-2026-001", b"JX-3") + b"</alerts>"
    several = client.post("/api/v1/alerts/cap", data=wrapped, content_type="application/xml",
                          HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    assert several.status_code == 201, several.content
    for each in several.json()["alerts"]:
        assert {d["channel"] for d in each["deliveries"]} == {"jx-radio", "jx-sms", "jx-weibo"}


def test_cap_codes_are_shown_by_name_in_chinese_and_in_english(users, sender, channels, client_for, settings):
    alert = pending_alert(sender)
    duty = client_for("duty")
    page = duty.get(f"/alerts/{alert.pk}/").content.decode()
    assert "严重程度：严重" in page and "紧急程度：立即行动" in page and "可能性：很可能" in page
    assert "新发布 · 正式" in page and "Severe / Immediate" not in page and "Alert · Actual" not in page
    console = duty.get("/alerts/").content.decode()
    assert "严重程度：严重" in console and "新发布" in console and ">Alert<" not in console
    composer = duty.get("/alerts/new/").content.decode()
    assert '<option value="Met" selected>气象</option>' in composer
    assert '<option value="Expected" >1 小时内行动</option>' in composer and ">Expected<" not in composer
    assert '<option value="Likely" selected>很可能</option>' in composer

    duty.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = duty.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Severity: Severe" in english and "Urgency: Immediate" in english and "Certainty: Likely" in english
    assert "New · Actual" in english and "严重程度" not in english
    assert '<option value="Met" selected>Meteorological</option>' in duty.get("/alerts/new/").content.decode()
    assert "<severity>Severe</severity>" in Alert.objects.get(pk=alert.pk).cap_xml  # the CAP itself unchanged


GUIDANCE = "远离河道和低洼地带。\n<b>转移</b>到安全地点 & 关注预警。"  # a line break and markup to escape


def with_guidance() -> bytes:
    from xml.sax.saxutils import escape

    return cap().replace(b"</description>", f"</description><instruction>{escape(GUIDANCE)}</instruction>".encode())


def test_the_console_card_shows_the_protective_guidance_escaped_with_its_line_breaks(
    users, sender, channels, client_for, settings
):
    [received] = receive(Actor(user=sender), with_guidance())
    alert = received.alert
    assert alert.state == AlertState.PENDING and alert.instruction == GUIDANCE
    duty = client_for("duty")
    card = duty.get("/alerts/").content.decode().split(f'id="decide-{alert.pk}"')[1].split("</article>")[0]
    shown = (
        f'<p class="alerts-instruction" id="instruction-{alert.pk}"><strong>防御指南</strong>：'
        "远离河道和低洼地带。<br>&lt;b&gt;转移&lt;/b&gt;到安全地点 &amp; 关注预警。</p>"
    )
    assert shown in card and "<b>" not in card
    duty.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = duty.get("/alerts/").content.decode().split(f'id="decide-{alert.pk}"')[1].split("</article>")[0]
    assert "<strong>Instructions</strong>" in english and "防御指南" not in english
    # an alert without guidance has no empty label on its card
    [plain] = receive(Actor(user=sender), cap().replace(b"JX-2026-001", b"JX-2026-002"))
    card = duty.get("/alerts/").content.decode().split(f'id="decide-{plain.alert.pk}"')[1].split("</article>")[0]
    assert "alerts-instruction" not in card


def test_the_composer_keeps_what_was_chosen_when_it_refuses(users, client_for):
    response = client_for("duty").post("/alerts/new/", {"event": "暴雨", "level": "red", "headline": "x",
                                                         "description": "y", "msg_type": "Update",
                                                         "urgency": "Future", "certainty": "Possible",
                                                         "status": "Exercise", "category": "Geo"})  # fmt: skip
    page = response.content.decode()
    assert "需要选择原预警" in page
    for chosen in ('value="Update" selected', 'value="Future" selected', 'value="Possible" selected',
                   'value="Exercise" selected', 'value="Geo" selected'):  # fmt: skip
        assert chosen in page


def test_the_validators_refusal_on_the_composer_is_in_the_readers_language(users, sender, client_for, client, settings):
    import html

    settings.TONGPIN_CAP_PROFILE = "china"
    form = {"event": "暴雨", "level": "red", "headline": "x", "description": "y", "area_codes": "1234"}
    duty = client_for("duty")
    page = html.unescape(duty.post("/alerts/new/", form).content.decode())
    assert "“1234”不是 6、9 或 12 位的 GB/T 2260 区划代码。" in page and "is not a" not in page
    duty.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = html.unescape(duty.post("/alerts/new/", form).content.decode())
    assert "'1234' is not a 6-, 9- or 12-digit GB/T 2260 code" in page and "区划代码" not in page
    assert not Alert.objects.exists()
    # The API answers with the same machine code and place, whatever the words.
    refused = client.post("/api/v1/alerts/cap", cap().replace(b"360100", b"1234"), content_type="application/xml",
                          HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(sender, 'weather')[1]}")  # fmt: skip
    [error] = refused.json()["errors"]
    assert refused.status_code == 422 and error["code"] == "bad_area_code"
    assert error["location"] == "info[0]/area[0]/geocode"


def test_the_validators_warnings_on_the_alert_page_are_in_chinese(users, sender, client_for):
    [received] = receive(Actor(user=sender), cap(extra_head="<references/>"))  # an Alert with empty <references>
    assert received.alert.validation["warnings"][0]["code"] == "references_empty"  # the code kept for machines
    page = client_for("duty").get(f"/alerts/{received.alert.pk}/").content.decode()
    assert "⚠ references_empty：&lt;references&gt; 元素是空的。" in page and "empty &lt;references&gt;" not in page


@needs_speech
def test_pending_alerts_have_no_renditions_yet_so_the_page_offers_a_preview_for_staff_only(
    users, sender, channels, client_for, client, settings
):
    alert = pending_alert(sender)
    assert alert.publication_id is None  # renditions are only made on release
    duty = client_for("duty")
    page = duty.get(f"/alerts/{alert.pk}/").content.decode()
    assert f'<audio controls preload="metadata" src="/alerts/{alert.pk}/preview.wav">' in page
    assert f'src="/alerts/{alert.pk}/preview.wav"' in duty.get("/alerts/").content.decode()  # the console's card
    preview = duty.get(f"/alerts/{alert.pk}/preview.wav")
    wav = b"".join(preview.streaming_content)
    assert preview.status_code == 200 and preview["Content-Type"] == "audio/wav" and wav[:4] == b"RIFF"
    assert preview["Cache-Control"].startswith("private")
    # Staff who may not see alerts get nothing; nobody signed in is sent to sign in; the public route has no previews.
    assert client_for("reporter").get(f"/alerts/{alert.pk}/preview.wav").status_code == 403
    assert client.get(f"/alerts/{alert.pk}/preview.wav").status_code == 302
    [made] = list((settings.MEDIA_ROOT / "alerts" / "audio" / "preview").iterdir())
    assert client.get(f"/alerts/audio/{made.name}").status_code == 404
    assert duty.get(f"/alerts/{alert.pk}/audio.wav").status_code == 404  # not on air yet

    duty.post(f"/alerts/{alert.pk}/confirm/", {"note": "同意"})
    alert.refresh_from_db()
    page = duty.get(f"/alerts/{alert.pk}/").content.decode()
    assert f'src="/alerts/{alert.pk}/audio.wav"' in page and "preview.wav" not in page
    on_air = duty.get(f"/alerts/{alert.pk}/audio.wav")
    assert on_air.status_code == 200 and b"".join(on_air.streaming_content)[:4] == b"RIFF"
    assert duty.get(f"/alerts/{alert.pk}/preview.wav").status_code == 404  # released: the real one only
    console = duty.get("/alerts/").content.decode()
    assert f'id="listen-{alert.pk}"' in console and f'src="/alerts/{alert.pk}/audio.wav"' in console


@needs_speech
def test_no_preview_when_no_speaking_channel_would_carry_the_alert(users, sender, channels, client_for):
    Coverage.objects.filter(channel=channels["radio"]).update(min_level="red")  # radio carries red only
    alert = pending_alert(sender)  # orange
    duty = client_for("duty")
    page = duty.get(f"/alerts/{alert.pk}/").content.decode()
    assert "<audio" not in page and "没有广播语音可试听" in page
    assert duty.get(f"/alerts/{alert.pk}/preview.wav").status_code == 404


def test_a_released_drill_with_no_test_channel_says_why_nothing_went_out(users, sender, channels, client_for):
    exercise = cap().replace(b"<status>Actual</status>", b"<status>Exercise</status>")
    [received] = receive(Actor(user=sender), exercise)
    duty = client_for("duty")
    assert duty.post(f"/alerts/{received.alert.pk}/confirm/", {"note": "演练"}).status_code == 302
    page = duty.get(f"/alerts/{received.alert.pk}/").content.decode()
    assert "没有投递" in page and "演练和测试只发往标为测试的渠道" in page


def test_a_refused_decision_keeps_the_typed_note_on_the_page_it_came_from(users, partners, sender, channels,
                                                                         client_for):  # fmt: skip
    alert = pending_alert(sender)
    # A partner's channel among those covering the area: publishing refuses, and the alert still waits.
    Channel.objects.filter(pk=channels["sms"].pk).update(partner=partners["em"])
    duty = client_for("duty")
    refused = duty.post(f"/alerts/{alert.pk}/confirm/", {"note": "已电话核实，同意发布", "back": "console"})
    page = refused.content.decode()
    assert refused.status_code == 200 and "属于其他合作方，不能发布这篇内容" in page  # the console again
    assert f'id="decide-{alert.pk}"' in page and ">已电话核实，同意发布</textarea>" in page
    detail = duty.post(f"/alerts/{alert.pk}/confirm/", {"note": "核实无误"}).content.decode()
    assert 'id="history"' in detail and ">核实无误</textarea>" in detail  # the alert's page again
    alert.refresh_from_db()
    assert alert.state == AlertState.PENDING and alert.decision_note == ""


def _form(page: str) -> str:
    return page.split('<form method="post" class="card">')[1].split("</form>")[0]


def test_the_composer_asks_before_it_sends_and_chooses_no_level_or_status_for_the_officer(users, channels, client_for):
    """A station trial: 提交 released an actual red-by-default warning to every channel without a question."""
    from tongpin.alerts.views import CONSEQUENCES

    Coverage.objects.filter(channel=channels["radio"]).update(min_level="orange")  # radio: orange and red only
    form = _form(client_for("duty").get("/alerts/new/").content.decode())
    level = form.split('<select id="level" name="level" required>')[1].split("</select>")[0]
    status = form.split('<select id="status" name="status" required>')[1].split("</select>")[0]
    for select in (level, status):  # nothing chosen beforehand: the first option is 请选择, empty, and chosen
        assert select.startswith('<option value="">请选择</option>') and "selected" not in select
    # What each level could reach, for the question: every public channel carries red, radio not yellow.
    assert 'value="red" data-reach="3"' in level and 'value="yellow" data-reach="2"' in level
    assert f'value="Actual" data-consequence="{CONSEQUENCES["Actual"]}"' in status
    assert "{level.reach} 个公开渠道发布正式预警" in str(CONSEQUENCES["Actual"])
    assert 'value="Exercise" data-consequence="将只向测试渠道发出演练预警"' in status
    question = 'data-confirm="{msg_type.lead}（类型：{msg_type}；级别：{level}；事件：{event}）确定提交？"'
    assert f'<button class="primary" id="composer-submit" {question}>提交</button>' in form
    assert 'value="Alert" selected data-lead="{status.consequence}"' in form  # a warning: what its status does


def _chosen(form: str, name: str) -> tuple[str, str]:
    """The attributes and text of a select's chosen option (the first when none is marked), as the browser has it."""
    select = form.split(f'name="{name}"')[1].split("</select>")[0]
    options = re.findall(r"<option ([^>]*)>([^<]*)</option>", select)
    return next((o for o in options if "selected" in o[0].split()), options[0])


def _asked(form: str) -> str:
    """The question of 提交 filled in as behaviours.js fills it (three passes, {name} and {name.key})."""
    text = html.unescape(re.search(r'id="composer-submit" data-confirm="([^"]*)"', form).group(1))

    def field(match: re.Match) -> str:
        name, key = match.group(1), match.group(2)
        if f'<select id="{name}"' not in form:
            return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', form).group(1))
        attributes, label = _chosen(form, name)
        if not key:
            return html.unescape(label)
        return html.unescape(re.search(rf'data-{key}="([^"]*)"', attributes).group(1))

    for _pass in range(3):
        text = re.sub(r"\{([a-z_]+)(?:\.([a-z-]+))?\}", field, text)
    return text


def test_the_cancel_question_says_first_that_it_takes_the_original_down(users, sender, channels, client_for):
    """At 3 a.m. the trial read 解除's question (将按发布策略…发布正式预警) as a new warning."""
    original = pending_alert(sender)
    officer = client_for("duty")
    form = _form(officer.get(f"/alerts/new/?original={original.pk}&type=Cancel").content.decode())
    asked = _asked(form)
    assert asked.startswith(f"将解除原预警“{original} · ")
    assert "，向最多 3 个公开渠道发出解除通知" in asked and "发布正式预警" not in asked
    assert asked.endswith("（类型：解除；级别：橙色；事件：暴雨）确定提交？")
    update = _asked(_form(officer.get(f"/alerts/new/?original={original.pk}&type=Update").content.decode()))
    assert update.startswith("将按发布策略向最多 3 个公开渠道发布正式预警") and "解除" not in update


def test_enter_in_the_composer_submits_the_normal_way_never_from_the_original(users, client_for):
    """Enter in a one-line field presses the form's first submit button: it must be the (asking) 提交, unnamed."""
    form = _form(client_for("duty").get("/alerts/new/").content.decode())
    first = form.split("<button")[1].split(">")[0]
    assert "hidden" in first and "data-confirm=" in first and "name=" not in first and "formnovalidate" not in first
    assert form.index("<button") < form.index('name="fill"')


def test_the_composer_refuses_an_unchosen_level_or_status_in_chinese(users, channels, client_for):
    form = {"event": "暴雨", "level": "orange", "headline": "暴雨橙色预警", "description": "y", "msg_type": "Alert",
            "status": "Actual", "area_codes": "360100"}  # fmt: skip
    duty = client_for("duty")
    page = duty.post("/alerts/new/", {**form, "level": ""}).content.decode()
    assert "请选择预警级别。" in page and "暴雨橙色预警" in page
    page = duty.post("/alerts/new/", {**form, "status": ""}).content.decode()
    assert "请选择性质：正式、演练或测试。" in page and "暴雨橙色预警" in page
    assert not Alert.objects.exists()
    assert duty.post("/alerts/new/", form).status_code == 302  # both chosen: it goes


def test_the_alert_log_names_people_and_places_not_logins_and_codes(users, sender, channels, client_for):
    """The trial read 处理说明：值班员 · duty and 360100 where 周航 and 南昌市 were meant."""
    from tongpin.core import audit

    users["duty"].display_name = "周航"
    users["duty"].save()
    alert = pending_alert(sender)
    audit.record(audit.SYSTEM, "alert.paged", alert, {"step": "officer", "user": "duty", "routes": ["短信"]})
    page = client_for("duty").get(f"/alerts/{alert.pk}/").content.decode()
    history = page.split('id="history"')[1]
    assert "呼叫：值班员 周航" in history and "duty" not in history.split("呼叫：")[1].split("</li>")[0]
    assert "处理说明" not in history.split("呼叫值班人员")[1].split("</li>")[0]  # no note anyone wrote
    # the area description 南昌市 already names the division 360100: once, by name, never the code
    assert "影响区域：南昌市</p>" in page and "360100 </p>" not in page


def test_the_area_is_named_once_and_never_as_a_lone_dash(users, sender, channels, client_for):
    """The trial read 南昌市 · 江西省 南昌市 (one place twice) and — · 江西省 南昌市 (no description)."""
    alert = pending_alert(sender)
    officer = client_for("duty")
    shown = officer.get(f"/alerts/{alert.pk}/").content.decode()
    assert "影响区域：南昌市</p>" in shown and "江西省 南昌市" not in shown.split("影响区域")[1].split("</p>")[0]
    named = '<span id="alert-areas"><span title="360100">江西省 南昌市</span></span></p>'
    for description, line in (("", f"影响区域：{named}"), ("赣江沿岸", f"影响区域：赣江沿岸 · {named}")):
        Alert.objects.filter(pk=alert.pk).update(area_desc=description)
        page = officer.get(f"/alerts/{alert.pk}/").content.decode()
        assert line in page and "影响区域：—" not in page
    Alert.objects.filter(pk=alert.pk).update(area_desc="", geocodes=[])
    assert "影响区域：—</p>" in officer.get(f"/alerts/{alert.pk}/").content.decode()
