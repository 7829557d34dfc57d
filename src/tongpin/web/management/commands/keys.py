"""`tongpin keys status|rotate|generate`: the data key that seals stored secrets at rest — channel credentials,
feed keys, paging secrets, TOTP seeds (core/datakey.py, docs/security.md)."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core import datakey
from tongpin.core.audit import Actor, record
from tongpin.core.commandbase import TongpinCommand


class Command(TongpinCommand):
    help = gettext_lazy(
        "加密已保存密钥的数据密钥：`keys status` 列出本机持有的数据密钥及各自加密的密钥数量；`keys rotate` 换用新的"
        "数据密钥，并用它重新加密每个已保存的密钥；`keys generate` 输出一个新的数据密钥，用于 TONGPIN_DATA_KEY。"
    )

    def add_arguments(self, parser):
        sub = self.add_actions(parser)
        self.add_json_flag(sub.add_parser("status", help=gettext_lazy("查看数据密钥的状态")))
        self.add_json_flag(sub.add_parser("rotate", help=gettext_lazy("换用新的数据密钥并重新加密")))
        sub.add_parser("generate", help=gettext_lazy("输出一个新的数据密钥"))

    def _status(self, json=False, **options):  # noqa: A002
        found = datakey.status()
        missing = _unopenable(found)
        # One object (the convention's "ok" beside the status), or the screen in the shell's language.
        document = dict(sorted((found | {"ok": not missing, "missing": missing}).items()))
        self.report(document, [] if json else _status_lines(found), as_json=json)
        if missing:  # after the report: the stored secrets these keys seal cannot be opened here (exit 1)
            raise CommandError(_("有密钥由本机没有的数据密钥加密：%(keys)s") % {"keys": ", ".join(missing)})

    def _rotate(self, json=False, **options):  # noqa: A002
        try:
            done = datakey.rotate()
        except datakey.DataKeyError as error:
            raise CommandError(str(error)) from error
        record(Actor(user=None, via="cli"), "datakey.rotate", None,
               {"current": done["current"], "retired": done["retired"], "resealed": done["resealed"]},
               object_type="datakey", object_id=done["current"], object_repr=done["current"])  # fmt: skip
        self.report(done, [] if json else _rotate_lines(done), as_json=json)
        if done["left"] and not json:
            self.stderr.write(_("仍有 %(n)s 个密钥由旧数据密钥加密：旧密钥留在密钥环中") % {"n": done["left"]})

    def _generate(self, **options):
        self.stdout.write(datakey.format_key(datakey.new_key()))


def _status_lines(found: dict) -> list[str]:
    if found["source"] == "env":
        where = "TONGPIN_DATA_KEY"
    else:
        where = found["source"] or _("（无）")
    lines = [_("数据密钥：%(where)s；加密算法 %(cipher)s") % {"where": where, "cipher": found["cipher"]}]
    if found.get("problem") and not datakey.configured() and not _unopenable(found):
        # No key given and nothing sealed with one: nothing is wrong, the key is made when the first secret is
        # saved. (A key given but unreadable, or secrets sealed with a key that is gone, is a problem.)
        later = _("尚未生成数据密钥：第一次保存需要加密的密钥时自动生成（%(file)s）")
        lines.append(later % {"file": datakey.key_file()})
    elif found.get("problem"):
        lines.append(_("问题：%(p)s") % {"p": found["problem"]})
    else:
        lines.append(_("当前密钥 %(current)s；本机持有：%(keys)s") % {"current": found["current"],
                                                                 "keys": ", ".join(found["keys"])})  # fmt: skip
    for store, counts in found["stores"].items():
        shown = ", ".join(f"{kid}: {n}" for kid, n in sorted(counts.items())) or _("未保存任何密钥")
        lines.append(_("%(store)s：%(counts)s") % {"store": store, "counts": shown})
    return lines


def _rotate_lines(done: dict) -> list[str]:
    lines = [_("新的数据密钥 %(key)s：重新加密了 %(n)s 个密钥") % {"key": done["current"], "n": done["resealed"]}]
    retired = ", ".join(done["retired"])
    if done["left"]:
        return lines  # the old keys stay in the ring (said on stderr)
    if done["source"] == "env":
        lines.append(_("已不再使用 %(keys)s：请将其从 TONGPIN_DATA_KEY 中删除") % {"keys": retired or _("旧密钥")})
    else:
        lines.append(_("已从 %(file)s 删除旧密钥：%(keys)s") % {"file": done["source"], "keys": retired})
    return lines


def _unopenable(found: dict) -> list[str]:
    held = set(found["keys"])
    used = {kid for counts in found["stores"].values() for kid in counts if kid != "plaintext"}
    return sorted(used - held)
