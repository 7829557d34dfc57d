"""`tongpin audit verify|export|purge`: the audit log's hash chain, archive and retention (docs/security.md)."""

import datetime as dt

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core import auditchain
from tongpin.core.audit import Actor
from tongpin.core.auditlog import export_audit, verify_chain
from tongpin.core.commandbase import TongpinCommand

CLI = Actor(user=None, via="cli")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        # argparse turns this into a usage error (exit 2)
        raise ValueError(_("不是日期（YYYY-MM-DD）：%(text)s") % {"text": repr(text)}) from None


class Command(TongpinCommand):
    help = gettext_lazy(
        "审计日志：`audit verify [--json]` 校验哈希链（完好时退出状态为 0，断裂时为 1）；"
        "`audit export [--from DATE] [--to DATE] [--format jsonl|csv] [--output FILE]` 导出一段日志及其哈希"
        "（记入审计）；`audit purge [--days N] [--json]` 删除 N 天以前的事件（TONGPIN_KEEP_AUDIT_DAYS，至少 180 天），"
        "并留下锚点。"
    )

    def add_arguments(self, parser):
        sub = self.add_actions(parser)
        verify = sub.add_parser("verify", help=gettext_lazy("校验哈希链"))
        self.add_json_flag(verify)
        export = sub.add_parser("export", help=gettext_lazy("导出一段审计日志"))
        export.add_argument("--from", dest="date_from", type=_date, help=gettext_lazy("起始日期 YYYY-MM-DD"))
        export.add_argument("--to", dest="date_to", type=_date, help=gettext_lazy("结束日期 YYYY-MM-DD"))
        export.add_argument("--format", default="jsonl", choices=["jsonl", "csv"], help=gettext_lazy("导出格式"))
        export.add_argument("--output", help=gettext_lazy("写入的文件（默认：标准输出）"))
        purge = sub.add_parser("purge", help=gettext_lazy("删除过期的审计事件"))
        purge.add_argument("--days", type=int, help=gettext_lazy("默认：TONGPIN_KEEP_AUDIT_DAYS"))
        self.add_json_flag(purge)

    def _verify(self, json=False, **options):
        result = verify_chain(CLI)
        if result.ok:
            start = _("自清理锚点 %(seq)s 之后") % {"seq": result.anchor_seq} if result.anchor_seq else _("自链的起点")
            line = _(
                "审计哈希链完整：%(count)d 条事件，序号 %(first)s–%(last)s（%(start)s），链头 %(head)s（%(algorithm)s）"
            ) % {"count": result.count, "first": result.first_seq, "last": result.last_seq, "start": start,
                 "head": result.head_hash or "-", "algorithm": result.algorithm}  # fmt: skip
        else:
            broken = result.broken
            line = _("审计哈希链在序号 %(seq)s（id %(id)s）处断开：%(code)s：%(message)s") % {
                "seq": broken.seq, "id": broken.id, "code": broken.code, "message": broken.message}  # fmt: skip
        self.report(dict(sorted(result.as_dict().items())), [line], as_json=json, failed=not result.ok)

    def _export(self, date_from=None, date_to=None, format="jsonl", output=None, **options):
        export = export_audit(CLI, date_from, date_to, format)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                count = 0
                for line in export.lines:
                    handle.write(line)
                    count += 1
            self.stderr.write(_("已写入 %(file)s（%(name)s）") % {"file": output, "name": export.file_name})
        else:
            for line in export.lines:
                self.stdout.write(line, ending="")

    def _purge(self, days=None, json=False, **options):
        try:
            done = auditchain.purge(CLI, days=days)
        except auditchain.RetentionTooShort as error:
            raise CommandError(str(error), returncode=2) from None  # a usage error: --days below the minimum
        if done.upto_seq is None and not done.cutoff:
            line = _("无需删除（TONGPIN_KEEP_AUDIT_DAYS 为 0：永久保留）")
        elif done.upto_seq is None:
            line = _("无需删除（没有早于 %(cutoff)s 的事件）") % {"cutoff": done.cutoff}
        else:
            line = _("已删除 %(deleted)s 个早于 %(cutoff)s 的事件（至序号 %(seq)s）") % {
                "deleted": done.deleted,
                "cutoff": done.cutoff,
                "seq": done.upto_seq,
            }
        document = {"deleted": done.deleted, "upto_seq": done.upto_seq, "cutoff": done.cutoff}
        self.report(document, [line], as_json=json)
