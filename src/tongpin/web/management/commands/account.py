"""`tongpin account disable-dormant [--dry-run] | enable NAME | reset-2fa NAME` (each with --json)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core import dormancy, twofactor
from tongpin.core.audit import Actor
from tongpin.core.commandbase import Invalid, TongpinCommand
from tongpin.core.models import User

CLI = Actor(user=None, via="cli")


class Command(TongpinCommand):
    help = gettext_lazy(
        "登录账号维护（docs/security.md）：`account disable-dormant [--dry-run]` 停用超过 TONGPIN_DORMANT_DAYS 天"
        "未登录的账号；`account enable NAME` 重新启用账号；`account reset-2fa NAME` 移除某人的第二重验证"
        "（手机和恢复码都丢失时；也是最后一位管理员的应急入口）。每次改动都记入审计日志。"
    )

    def add_arguments(self, parser):
        sub = self.add_actions(parser)
        dormant = sub.add_parser("disable-dormant", help=gettext_lazy("停用长期未登录的账号"))
        dormant.add_argument("--dry-run", action="store_true", help=gettext_lazy("只列出，不做改动"))
        self.add_json_flag(dormant)
        for name, text in (("enable", gettext_lazy("重新启用账号")), ("reset-2fa", gettext_lazy("移除第二重验证"))):
            action = sub.add_parser(name, help=text)
            action.add_argument("username", help=gettext_lazy("用户名"))
            self.add_json_flag(action)

    def _disable_dormant(self, dry_run=False, json=False, **options):
        if dry_run:
            found = list(dormancy.dormant())
            lines = [f"would disable {u.username} (last sign-in: {u.last_login or 'never'})" for u in found]
        else:
            found = dormancy.disable_dormant(actor=CLI)
            lines = [f"disabled {u.username}" for u in found] + [f"{len(found)} dormant account(s) disabled"]
        accounts = [{"username": u.username, "last_login": u.last_login.isoformat() if u.last_login else None}
                    for u in found]  # fmt: skip
        self.report({"action": "disable-dormant", "dry_run": dry_run, "accounts": accounts}, lines, as_json=json)

    def _enable(self, username, json=False, **options):
        user = _user(username)
        changed = dormancy.enable(CLI, user)
        line = f"enabled {user.username}" if changed else f"{user.username} was already enabled"
        self.report({"action": "enable", "username": user.username, "changed": changed}, [line], as_json=json)

    def _reset_2fa(self, username, json=False, **options):
        user = _user(username)
        twofactor.remove(CLI, user, by_admin=True)
        line = f"second factor of {user.username} removed: they set it up again at their next sign-in"
        self.report({"action": "reset-2fa", "username": user.username, "changed": True}, [line], as_json=json)


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise Invalid(_("没有用户 %(name)s") % {"name": repr(username)})
    return user
