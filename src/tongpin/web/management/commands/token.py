import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core.audit import Actor, record
from tongpin.core.commandbase import Invalid, TongpinCommand
from tongpin.core.models import ApiToken, User


class Command(TongpinCommand):
    help = gettext_lazy(
        "API 令牌：`token create USER [--name NAME] [--expires DAYS] [--scope read|alerts|full]` 创建令牌并只显示"
        "这一次；`token list [USER] [--json]` 列出令牌；`token revoke PREFIX` 吊销令牌。"
    )

    def add_arguments(self, parser):
        sub = self.add_actions(parser)
        create = sub.add_parser("create", help=gettext_lazy("创建令牌"))
        create.add_argument("username", help=gettext_lazy("用户名"))
        create.add_argument("--name", default="cli", help=gettext_lazy("令牌的名称"))
        create.add_argument("--expires", type=int, metavar="DAYS", help=gettext_lazy("DAYS 天后失效"))
        create.add_argument("--scope", default="full",
                            help=gettext_lazy("read（只读 GET）、alerts（只用 /alerts）或 full"))  # fmt: skip
        listing = sub.add_parser("list", help=gettext_lazy("列出令牌"))
        listing.add_argument("username", nargs="?", help=gettext_lazy("只列出该用户的令牌"))
        self.add_json_flag(listing)
        revoke = sub.add_parser("revoke", help=gettext_lazy("吊销令牌"))
        revoke.add_argument("prefix", help=gettext_lazy("令牌的前缀（前 10 个字符）"))

    def _create(self, username, name, expires=None, scope="full", **options):
        if scope not in ApiToken.Scope.values:
            raise Invalid(_("--scope 只能是 %(scopes)s 之一") % {"scopes": "、".join(ApiToken.Scope.values)})
        if expires is not None and not 1 <= expires <= 3650:
            raise Invalid(_("--expires 是 1 到 3650 之间的天数"))
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise Invalid(_("没有在用的用户“%(username)s”") % {"username": username})
        expires_at = timezone.now() + dt.timedelta(days=expires) if expires else None
        token, raw = ApiToken.issue(user, name, expires_at=expires_at, scope=scope)
        record(
            Actor(user=None, via="cli"),
            "token.create",
            token,
            {"user": username, "scope": scope, "expires_at": expires_at.isoformat() if expires_at else None},
        )
        self.stdout.write(raw)

    def _list(self, username=None, json=False, **options):
        tokens = ApiToken.objects.select_related("user").order_by("created_at")
        if username:
            tokens = tokens.filter(user__username=username)
        now = timezone.now()
        rows = [
            {
                "prefix": t.prefix,
                "user": t.user.username,
                "name": t.name,
                "scope": t.scope,
                "state": "revoked" if t.revoked_at else "expired" if t.expires_at and t.expires_at <= now else "active",
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            }
            for t in tokens
        ]
        lines = [
            f"{r['prefix']}…\t{r['user']}\t{r['name']}\t{r['scope']}\t{r['state']}\t"
            f"{(r['expires_at'] or '-')[:10]}\t{r['last_used_at'] or '-'}"
            for r in rows
        ]
        self.report({"tokens": rows}, lines, as_json=json)

    def _revoke(self, prefix, **options):
        tokens = ApiToken.objects.filter(prefix=prefix[:10], revoked_at__isnull=True)
        if tokens.count() != 1:
            raise Invalid(_("没有唯一一个以此为前缀的在用令牌"))
        token = tokens.get()
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(Actor(user=None, via="cli"), "token.revoke", token)
        self.stdout.write(f"revoked {token.prefix}…")
