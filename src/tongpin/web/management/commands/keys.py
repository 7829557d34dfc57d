"""`tongpin keys status|rotate|generate`: the data key that seals stored secrets at rest — channel credentials,
feed keys, paging secrets, TOTP seeds (core/datakey.py, docs/security.md)."""

import json

from django.core.management.base import CommandError
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
        if json:
            self.stdout.write(_dumps(found))
        else:
            where = "TONGPIN_DATA_KEY" if found["source"] == "env" else found["source"] or "(none)"
            self.stdout.write(f"data key: {where}; cipher {found['cipher']}")
            if found.get("problem"):
                self.stdout.write(f"problem: {found['problem']}")
            else:
                self.stdout.write(f"current key {found['current']}; keys held: {', '.join(found['keys'])}")
            for store, counts in found["stores"].items():
                shown = ", ".join(f"{kid}: {n}" for kid, n in sorted(counts.items())) or "nothing stored"
                self.stdout.write(f"{store}: {shown}")
        missing = _unopenable(found)
        if missing:
            raise CommandError(f"secrets sealed with keys this machine does not hold: {', '.join(missing)}")

    def _rotate(self, json=False, **options):  # noqa: A002
        try:
            done = datakey.rotate()
        except datakey.DataKeyError as error:
            raise CommandError(str(error)) from error
        record(Actor(user=None, via="cli"), "datakey.rotate", None,
               {"current": done["current"], "retired": done["retired"], "resealed": done["resealed"]},
               object_type="datakey", object_id=done["current"], object_repr=done["current"])  # fmt: skip
        if json:
            self.stdout.write(_dumps(done))
            return
        self.stdout.write(f"new data key {done['current']}: {done['resealed']} secrets sealed again")
        if done["left"]:
            self.stderr.write(f"{done['left']} secrets still sealed with an old key: it stays in the key ring")
        elif done["source"] == "env":
            self.stdout.write(f"nothing uses {', '.join(done['retired']) or 'an older key'} now: "
                              "remove it from TONGPIN_DATA_KEY")  # fmt: skip
        else:
            self.stdout.write(f"old keys removed from {done['source']}: {', '.join(done['retired'])}")

    def _generate(self, **options):
        self.stdout.write(datakey.format_key(datakey.new_key()))


def _unopenable(found: dict) -> list[str]:
    held = set(found["keys"])
    used = {kid for counts in found["stores"].values() for kid in counts if kid != "plaintext"}
    return sorted(used - held)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
