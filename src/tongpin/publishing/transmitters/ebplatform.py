"""Emergency-broadcast platform (应急广播平台): the staged message is packed, signed with the station's SM2 key and
POSTed to the platform's interface; the platform answers with signed feedback, and the delivery is polled until
the platform reports the broadcast done or failed.

Feedback is kept per delivery: each answer is one entry of the delivery's attempt log (code `eb_received`,
`eb_broadcasting`, `eb_done`, `eb_failed`, with its start and end time and the platform's report time in the
message), `last_code` holds the latest and `remote_ref` the message id. The wire format is an assumption —
docs/alerts.md, "Emergency broadcasting".
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

from .. import ebpackage
from ..models import Reach
from ..plugins import Outcome, Parcel, PermanentError, Setting, TemporaryError, Transmitter, register_transmitter
from . import http

CONTENT_TYPE = "application/x-tar"
STATES = {"1": "eb_received", "2": "eb_broadcasting", "3": "eb_done", "4": "eb_failed"}


def _request(package_id: str, kind: str, body: etree._Element) -> bytes:
    root = etree.Element("EBD", EBDVersion="1.0")
    etree.SubElement(root, "EBDID").text = package_id
    etree.SubElement(root, "EBDType").text = kind
    etree.SubElement(root, "EBDTime").text = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    root.append(body)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _state_request(ebm_id: str) -> bytes:
    body = etree.Element("EBMStateRequest")
    etree.SubElement(body, "EBMID").text = ebm_id
    return _request(f"Q{ebm_id}"[:64], "EBMStateRequest", body)


def _stop(ebm_id: str) -> bytes:
    """A stop (停播) for a message that is taken down without a message of its own (a withdrawal)."""
    body = etree.Element("EBM")
    etree.SubElement(body, "EBMID").text = f"S{ebm_id}"[:64]
    etree.SubElement(etree.SubElement(body, "RelatedEBM"), "EBMID").text = ebm_id
    etree.SubElement(etree.SubElement(body, "MsgBasicInfo"), "MsgType").text = "2"
    return _request(f"S{ebm_id}"[:64], "EBM", body)


@register_transmitter
class EmergencyPlatform(Transmitter):
    name = "eb_platform"
    label = gettext_lazy("应急广播平台")
    supports_withdraw = True
    reports = ("received", "reached")  # 已接收 / 播发中 → received; 播发完成 → reached; 播发失败 → not reached
    settings = (
        Setting("url", gettext_lazy("平台接口地址"), kind="url", required=True),
        Setting("signer_code", gettext_lazy("本台资源编码"), required=True,
                help=gettext_lazy("签名文件中的签发者编码（GY/T 386 资源编码）")),  # fmt: skip
        Setting("private_key", gettext_lazy("SM2 签名私钥"), kind="secret", required=True,
                help=gettext_lazy("64 位十六进制；保存后不再显示")),  # fmt: skip
        Setting("certificate", gettext_lazy("本台 SM2 证书"), kind="multiline",
                help=gettext_lazy("可选，PEM 格式，须与签名私钥配对；过期则拒绝签名")),  # fmt: skip
        Setting("platform_public_key", gettext_lazy("平台 SM2 公钥"), required=True,
                help=gettext_lazy("128 位十六进制（x‖y），用于核验平台反馈的签名")),  # fmt: skip
        Setting("poll_seconds", gettext_lazy("反馈查询间隔（秒）"), kind="int", default=5),
        Setting("timeout", gettext_lazy("超时（秒）"), kind="int", default=10),
    )

    def _post(self, parcel: Parcel, package: bytes, idempotency_key: str = "") -> etree._Element:
        """POST one package; the platform's signed feedback, checked, as its instruction element. Only the message
        itself carries the delivery's idempotency key: a state request repeated under it would get a stale answer."""
        settings = parcel.settings
        headers = {"Content-Type": CONTENT_TYPE}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        reply = http.request(
            "POST",
            settings["url"],
            body=package,
            headers=headers,
            timeout=float(settings.get("timeout") or 10),
        )
        if reply.status >= 500 or reply.status == 429:
            message = _("应急广播平台暂时不可用（HTTP %(s)d）。") % {"s": reply.status}
            raise TemporaryError(message, f"http_{reply.status}")
        if not reply.ok:
            message = _("应急广播平台拒绝了消息（HTTP %(s)d）。") % {"s": reply.status}
            raise PermanentError(message, f"http_{reply.status}", reply.data[:300].decode(errors="replace"))
        try:
            checked = ebpackage.check(reply.data, settings.get("platform_public_key", ""))
            feedback = ebpackage.parse_xml(checked.instruction)
        except ebpackage.PackageError as error:
            raise TemporaryError(_("应急广播平台的反馈无法识别。"), "eb_bad_feedback", str(error)) from error
        if not checked.valid:
            problems = "; ".join(checked.problems)
            raise TemporaryError(_("应急广播平台反馈的签名无效。"), "eb_feedback_signature", problems)
        return feedback

    def _outcome(self, parcel: Parcel, ebm_id: str, feedback: etree._Element) -> Outcome:
        state = (feedback.findtext(".//BrdStateCode") or "").strip()
        code = STATES.get(state)
        if code is None:
            raise TemporaryError(_("应急广播平台的反馈无法识别。"), "eb_bad_feedback", f"BrdStateCode {state[:20]!r}")
        named = (feedback.findtext(".//EBMID") or "").strip()
        if named and ebm_id and named != ebm_id:
            # Feedback about another message (the platform's mix-up, or a replayed answer): never ours to count.
            raise TemporaryError(_("应急广播平台的反馈针对的不是本条消息。"), "eb_feedback_unknown",
                                 f"EBMID {named[:64]!r}, expected {ebm_id!r}")  # fmt: skip
        reported = feedback.findtext(".//RptTime") or feedback.findtext("EBDTime") or ""
        said = (feedback.findtext(".//BrdStateDesc") or "")[:200]
        message = f"{reported} {said}".strip()
        if code == "eb_failed":
            raise PermanentError(_("应急广播平台报告播发失败。"), code, message, received=True, reach=Reach.UNREACHED)
        poll = parcel.settings.get("poll_seconds")
        poll = 5.0 if poll in (None, "") else float(poll)
        done = code == "eb_done"
        return Outcome(done=done, remote_ref=ebm_id, code=code, message=message, poll_after=poll, received=True,
                       reach=Reach.REACHED if done else Reach.WAITING)  # fmt: skip

    def send(self, parcel: Parcel) -> Outcome:
        ebm_id = parcel.fields.get("ebm_id", "")
        key, signer = parcel.settings["private_key"], parcel.settings["signer_code"]
        serial = _usable_certificate(parcel.settings)
        polling = bool(ebm_id) and parcel.remote_ref == ebm_id  # accepted before: ask how the broadcast is going
        try:
            if polling:
                package = ebpackage.pack(f"Q{ebm_id}"[:64], _state_request(ebm_id), {}, key, signer, serial)
            else:
                package = self._package(parcel, ebm_id, serial)
        except ebpackage.PackageError as error:
            raise PermanentError(_("应急广播消息无法打包：%(e)s") % {"e": error}, "eb_package") from error
        feedback = self._post(parcel, package, "" if polling else parcel.idempotency_key)
        return self._outcome(parcel, ebm_id, feedback)

    def _package(self, parcel: Parcel, ebm_id: str, serial: str) -> bytes:
        folder = ebpackage.staging_folder(ebm_id)
        try:
            instruction = (folder / ebpackage.instruction_name(ebm_id)).read_bytes()
            resources = {}
            for name in parcel.fields.get("ebm_resources", []):
                if not ebpackage.RESOURCE_NAME.match(name):
                    raise ebpackage.PackageError(f"bad resource name {name!r}")
                resources[name] = (folder / name).read_bytes()
        except OSError as error:
            raise ebpackage.PackageError(f"staged files missing ({error.strerror})") from error
        key, signer = parcel.settings["private_key"], parcel.settings["signer_code"]
        return ebpackage.pack(ebm_id, instruction, resources, key, signer, serial)

    def withdraw(self, parcel: Parcel) -> Outcome:
        ebm_id = parcel.fields.get("ebm_id", "")
        serial = _usable_certificate(parcel.settings)
        try:
            package = ebpackage.pack(f"S{ebm_id}"[:64], _stop(ebm_id), {}, parcel.settings["private_key"],
                                     parcel.settings["signer_code"], serial)  # fmt: skip
        except ebpackage.PackageError as error:
            raise PermanentError(_("应急广播消息无法打包：%(e)s") % {"e": error}, "eb_package") from error
        feedback = self._post(parcel, package, parcel.idempotency_key)
        state = (feedback.findtext(".//BrdStateCode") or "").strip()
        if state not in STATES:
            raise TemporaryError(_("应急广播平台的反馈无法识别。"), "eb_bad_feedback", f"BrdStateCode {state[:20]!r}")
        return Outcome(code="eb_stopped")

    def check_settings(self, values: dict) -> list[tuple[str, str]]:
        problems = []
        if values.get("private_key"):
            try:
                ebpackage.public_key_of(values["private_key"])
            except ebpackage.PackageError:
                problems.append(("private_key", _("SM2 私钥应为 64 位十六进制数。")))
        if values.get("platform_public_key") and not _valid_public(values["platform_public_key"]):
            problems.append(("platform_public_key", _("SM2 公钥应为 128 位十六进制数（可带 04 前缀）。")))
        if values.get("certificate"):
            try:
                _usable_certificate(values)
            except PermanentError as error:
                problems.append(("certificate", error.message))
        return problems


def _usable_certificate(settings: dict) -> str:
    """The serial number of the channel's station certificate ("" without one); refuses to go on when the
    certificate cannot be read, has run out (or is not yet valid), or does not belong to the signing key."""
    text = settings.get("certificate") or ""
    if not text:
        return ""
    try:
        certificate = ebpackage.station_certificate(text)
    except ebpackage.PackageError as error:
        raise PermanentError(_("本台 SM2 证书无法读取，未签名发送。"), "eb_certificate_invalid", str(error)) from error
    now = timezone.now()
    if certificate.not_after < now:
        message = _("本台 SM2 证书已于 %(t)s 过期，拒绝签名：请在渠道设置中换用有效证书后重试。")
        when = timezone.localtime(certificate.not_after).strftime("%Y-%m-%d %H:%M")
        raise PermanentError(message % {"t": when}, "eb_certificate_expired", f"serial {certificate.serial}")
    if certificate.not_before > now:
        when = timezone.localtime(certificate.not_before).strftime("%Y-%m-%d %H:%M")
        message = _("本台 SM2 证书 %(t)s 起才生效，拒绝签名。") % {"t": when}
        raise PermanentError(message, "eb_certificate_not_yet_valid", f"serial {certificate.serial}")
    try:
        mine = ebpackage.public_key_of(settings.get("private_key") or "")
    except ebpackage.PackageError:
        mine = ""
    if mine and mine != certificate.public_key:
        raise PermanentError(_("本台 SM2 证书与签名私钥不配对，拒绝签名。"), "eb_certificate_mismatch",
                             f"serial {certificate.serial}")  # fmt: skip
    return certificate.serial


def _valid_public(key: str) -> bool:
    try:
        ebpackage._clean_key(key, 128, "public")
    except ebpackage.PackageError:
        return False
    return True
