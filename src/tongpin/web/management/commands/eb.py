"""`tongpin eb verify FILE --public-key KEY|--cert FILE [--json]`: exit 0 valid, 1 invalid, 2 usage or unreadable."""

from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core.commandbase import TongpinCommand, Unreadable
from tongpin.publishing import ebpackage


def _instruction_json(element) -> object:
    """An XML element as JSON: text for a leaf, else its children by tag (repeated tags become lists)."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict = dict(element.attrib)
    for child in children:
        value = _instruction_json(child)
        if child.tag in out:
            out[child.tag] = out[child.tag] if isinstance(out[child.tag], list) else [out[child.tag]]
            out[child.tag].append(value)
        else:
            out[child.tag] = value
    return out


class Command(TongpinCommand):
    help = gettext_lazy(
        "应急广播消息包：`eb verify FILE --public-key KEY|--cert FILE` 校验 SM2 签名和每个资源的摘要，并列出指令"
        "（--json 输出一个 JSON 对象）；有效时退出状态为 0，无效时为 1。"
    )

    def add_arguments(self, parser):
        sub = self.add_actions(parser)
        verify = sub.add_parser("verify", help=gettext_lazy("校验消息包"))
        verify.add_argument("file", help=gettext_lazy("消息包文件（tar）"))
        signer = verify.add_mutually_exclusive_group(required=True)
        signer.add_argument("--public-key", help=gettext_lazy("签名者的 SM2 公钥：128 位十六进制数，或存有公钥的文件"))
        signer.add_argument("--cert", help=gettext_lazy("签名者带 SM2 公钥的 X.509 证书（PEM 或 DER 文件）"))
        self.add_json_flag(verify)

    def _key(self, public_key: str | None, cert: str | None) -> tuple[str, dict]:
        """The public key to check with, and what the certificate says (an expired one is a problem)."""
        if public_key is not None:
            key_path = Path(public_key)
            return (self.read_text(public_key, 64 * 1024).strip() if key_path.is_file() else public_key), {}
        try:
            key, certificate = ebpackage.public_key_from_certificate(self.read_bytes(cert))
        except ebpackage.PackageError as error:
            raise Unreadable(_("无法使用证书 %(file)s：%(error)s") % {"file": cert, "error": error}) from error
        now = timezone.now()
        return key, {
            "subject": certificate.subject.rfc4514_string(),
            "serial": format(certificate.serial_number, "x"),
            "not_after": certificate.not_valid_after_utc.isoformat(),
            "current": certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc,
        }

    def _verify(self, file, public_key=None, cert=None, json=False, **options):
        key, certificate = self._key(public_key, cert)
        data = self.read_bytes(file)
        try:
            checked = ebpackage.check(data, key)
            instruction = _instruction_json(ebpackage.parse_xml(checked.instruction))
        except ebpackage.PackageError as error:
            result = {"file": file, "valid": False, "problems": [str(error)]}
            self.report(result, self._lines(result), as_json=json, failed=True)
            return
        result = {
            "file": file,
            "valid": checked.valid,
            "signer": checked.signer,
            "problems": checked.problems,
            "resources": sorted(checked.resources),
            "instruction": instruction,
        }
        if certificate:
            result["certificate"] = certificate
            if not certificate["current"]:
                result["valid"] = False
                result["problems"].append("certificate not valid at this time")
        self.report(result, self._lines(result), as_json=json, failed=not result["valid"])

    @staticmethod
    def _lines(result: dict) -> list[str]:
        import json

        lines = [f"{result['file']}: " + (_("有效") if result["valid"] else _("无效"))]
        if result.get("signer"):
            lines.append(_("签名者：%(s)s") % {"s": result["signer"]})
        if result.get("certificate"):
            certificate = result["certificate"]
            lines.append(
                _("证书：%(subject)s，有效期至 %(until)s")
                % {"subject": certificate["subject"], "until": certificate["not_after"]}
            )
        lines += [_("问题：%(p)s") % {"p": p} for p in result["problems"]]
        if result.get("resources"):
            lines.append(_("资源：%(r)s") % {"r": ", ".join(result["resources"])})
        if "instruction" in result:
            lines.append(json.dumps(result["instruction"], ensure_ascii=False, indent=2))
        return lines
