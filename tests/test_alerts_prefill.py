"""An Update or Cancel written from the alert it follows: the composer comes filled in from the original (sender
name, event, level, texts, the same area), and sending it unchanged acts on the original."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from tongpin.alerts.intake import receive
from tongpin.alerts.models import Alert, AlertState, ReleasePolicy
from tongpin.core.audit import Actor

from .test_alerts_cap import cap

AREA = (
    "<area><areaDesc>南昌市、九江市</areaDesc><polygon>28.6,115.8 28.7,115.9 28.6,116.0 28.6,115.8</polygon>"
    "<geocode><valueName>GB/T 2260</valueName><value>360100</value></geocode>"
    "<geocode><valueName>GB/T 2260</valueName><value>360400</value></geocode></area>"
)


def info(expires: dt.datetime) -> str:
    return (
        "<info><language>zh-CN</language><category>Met</category><event>暴雨</event><urgency>Expected</urgency>"
        "<severity>Severe</severity><certainty>Likely</certainty>"
        f"<expires>{timezone.localtime(expires).isoformat(timespec='seconds')}</expires>"
        "<senderName>江西省气象台</senderName><headline>江西省气象台发布暴雨橙色预警</headline>"
        "<description>预计未来6小时南昌、九江降雨量将达50毫米以上。</description>"
        f"<instruction>停止户外作业。</instruction>{AREA}</info>"
    )


@pytest.fixture
def original(users, sender) -> Alert:
    ReleasePolicy.objects.create(name="自动", sender="*", min_level="blue", action="auto")
    [received] = receive(Actor(user=sender), cap(info=info(timezone.now() + dt.timedelta(hours=5, minutes=30))))
    assert received.alert.state == AlertState.RELEASED
    return Alert.objects.get(pk=received.alert.pk)  # as stored (JSON lists, not the intake's tuples)


class Form(HTMLParser):
    """The values a browser would submit from the page's form: inputs, textareas, selected options."""

    def __init__(self):
        super().__init__()
        self.fields, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self._select = attrs["name"]
            self.fields.setdefault(self._select, None)
        elif tag == "option" and self._select and ("selected" in attrs or self.fields[self._select] is None):
            self.fields[self._select] = attrs.get("value", "")  # the first option unless one is selected
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_of(page: str) -> dict:
    parser = Form()
    parser.feed(page.split('<form method="post" class="card">')[1].split("</form>")[0])
    return parser.fields


def test_cancel_from_the_detail_page_comes_filled_in_and_cancels_the_original_unchanged(original, client_for):
    duty = client_for("duty")
    detail = duty.get(f"/alerts/{original.pk}/").content.decode()
    link = f"/alerts/new/?original={original.pk}&amp;type=Cancel"
    assert f'id="compose-cancel" href="{link}"' in detail and "发布解除" in detail and "发布更新" in detail

    page = duty.get(f"/alerts/new/?original={original.pk}&type=Cancel").content.decode()
    fields = form_of(page)
    assert fields["msg_type"] == "Cancel" and fields["reference"] == str(original.pk)
    assert fields["sender_name"] == "江西省气象台" and fields["event"] == "暴雨" and fields["level"] == "orange"
    assert fields["area_desc"] == "南昌市、九江市" and fields["area_codes"] == "360100, 360400"
    assert fields["polygons"] == "28.6,115.8 28.7,115.9 28.6,116 28.6,115.8"
    assert fields["headline"] == "解除：江西省气象台发布暴雨橙色预警" and fields["urgency"] == "Expected"
    assert fields["category"] == "Met" and fields["status"] == "Actual" and fields["expires_hours"] == "6"

    answer = duty.post("/alerts/new/", fields)  # sent exactly as prefilled
    assert answer.status_code == 302
    cancel = Alert.objects.exclude(pk=original.pk).get()
    assert cancel.msg_type == "Cancel" and cancel.previous_id == original.pk
    assert cancel.references == [[original.sender, original.identifier, original.sent]]
    assert cancel.sender_name == "江西省气象台" and cancel.area_desc == original.area_desc
    assert cancel.geocodes == original.geocodes and cancel.polygons == original.polygons
    original.refresh_from_db()
    assert original.state == AlertState.CANCELLED
    assert "已解除" in duty.get(f"/alerts/{original.pk}/").content.decode()


def test_update_comes_filled_in_with_the_originals_texts_and_supersedes_it(original, client_for):
    duty = client_for("duty")
    fields = form_of(duty.get(f"/alerts/new/?original={original.pk}&type=Update").content.decode())
    assert fields["msg_type"] == "Update" and fields["headline"] == original.headline
    assert fields["description"] == original.description and fields["instruction"] == "停止户外作业。"
    assert fields["sender_name"] == "江西省气象台" and fields["area_codes"] == "360100, 360400"
    fields["description"] = "南昌、九江降雨持续，预计未来3小时仍有50毫米以上降雨。"  # what an officer changes
    assert duty.post("/alerts/new/", fields).status_code == 302
    update = Alert.objects.exclude(pk=original.pk).get()
    assert update.msg_type == "Update" and update.previous_id == original.pk and update.level == "orange"
    assert update.sender_name == "江西省气象台" and update.geocodes == original.geocodes
    assert update.event == "暴雨" and update.instruction == "停止户外作业。" and update.urgency == "Expected"
    original.refresh_from_db()
    assert original.state == AlertState.SUPERSEDED


def test_the_buttons_and_the_composer_speak_english_but_the_cancellation_stays_chinese(original, client_for, settings):
    duty = client_for("duty")
    duty.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Issue cancellation" in duty.get(f"/alerts/{original.pk}/").content.decode()
    page = duty.get(f"/alerts/new/?original={original.pk}&type=Cancel").content.decode()
    assert "Filled in from the original alert" in page and "Fill in from the original" in page
    assert form_of(page)["headline"] == "解除：江西省气象台发布暴雨橙色预警"  # the CAP's info block is zh-CN


def test_choosing_the_original_and_fill_reloads_the_form_filled_in(original, client_for):
    page = client_for("duty").post("/alerts/new/", {"msg_type": "Cancel", "reference": str(original.pk), "fill": "1",
                                                    "event": "随便写的"}).content.decode()  # fmt: skip
    fields = form_of(page)
    assert fields["event"] == "暴雨" and fields["sender_name"] == "江西省气象台" and fields["msg_type"] == "Cancel"
    assert 'id="prefilled"' in page and not Alert.objects.exclude(pk=original.pk).exists()  # nothing sent
    assert "请先选择原预警" in client_for("duty").post("/alerts/new/", {"fill": "1"}).content.decode()


def test_only_those_who_may_compose_and_see_the_original_get_it_prefilled(original, users, sender, client_for):
    assert client_for("editor").get(f"/alerts/new/?original={original.pk}&type=Cancel").status_code == 403
    desk = client_for("desk").get(f"/alerts/{original.pk}/").content.decode()  # may see alerts, not compose
    assert "compose-cancel" not in desk and "compose-update" not in desk
    duty = client_for("duty")
    for unknown in ("999999", "abc", str(2**70), "-1", ""):
        assert duty.get(f"/alerts/new/?original={unknown}&type=Cancel").status_code == 404, unknown
    assert duty.post("/alerts/new/", {"fill": "1", "reference": "999999"}).status_code == 404
    # The agency's machine account may submit alerts but not read them: the original is not shown to it.
    machine = client_for("duty")
    machine.force_login(sender)
    assert machine.get(f"/alerts/new/?original={original.pk}&type=Cancel").status_code == 404


def test_no_follow_up_buttons_on_a_cancelled_alert(original, client_for):
    duty = client_for("duty")
    fields = form_of(duty.get(f"/alerts/new/?original={original.pk}&type=Cancel").content.decode())
    duty.post("/alerts/new/", fields)
    cancel = Alert.objects.exclude(pk=original.pk).get()
    for alert in (original, cancel):
        assert "compose-cancel" not in duty.get(f"/alerts/{alert.pk}/").content.decode()


def test_a_broken_polygon_is_refused_and_kept_for_correction(users, client_for):
    response = client_for("duty").post("/alerts/new/", {"event": "暴雨", "level": "red", "headline": "x",
                                                         "description": "y", "polygons": "28.6,115.8 abc"})  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and "第 1 个多边形无效" in page and "28.6,115.8 abc</textarea>" in page
    assert not Alert.objects.exists()
