import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tongpin.core.audit import Actor, record
from tongpin.core.models import ApiToken, User


class Command(BaseCommand):
    help = (
        "API tokens: `token create USER [--name NAME] [--expires DAYS] [--scope read|alerts|full]` prints a new "
        "bearer token once; list; revoke PREFIX."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        create.add_argument("--expires", type=int, metavar="DAYS", help="stops working after DAYS days")
        create.add_argument("--scope", default="full", help="read (GET only), alerts (/alerts only) or full")
        listing = sub.add_parser("list")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, username, name, expires=None, scope="full", **options):
        if scope not in ApiToken.Scope.values:
            raise CommandError(f"--scope must be one of {', '.join(ApiToken.Scope.values)}")
        if expires is not None and not 1 <= expires <= 3650:
            raise CommandError("--expires takes a number of days from 1 to 3650")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        expires_at = timezone.now() + dt.timedelta(days=expires) if expires else None
        token, raw = ApiToken.issue(user, name, expires_at=expires_at, scope=scope)
        record(
            Actor(user=None, via="cli"),
            "token.create",
            token,
            {"user": username, "scope": scope, "expires_at": expires_at.isoformat() if expires_at else None},
        )
        self.stdout.write(raw)

    def _list(self, username=None, **options):
        tokens = ApiToken.objects.select_related("user").order_by("created_at")
        if username:
            tokens = tokens.filter(user__username=username)
        for t in tokens:
            expired = t.expires_at is not None and t.expires_at <= timezone.now()
            state = "revoked" if t.revoked_at else "expired" if expired else "active"
            expiry = t.expires_at.date().isoformat() if t.expires_at else "-"
            self.stdout.write(
                f"{t.prefix}…\t{t.user.username}\t{t.name}\t{t.scope}\t{state}\t{expiry}\t{t.last_used_at or '-'}"
            )

    def _revoke(self, prefix, **options):
        tokens = ApiToken.objects.filter(prefix=prefix[:10], revoked_at__isnull=True)
        if tokens.count() != 1:
            raise CommandError("no single active token with that prefix")
        token = tokens.get()
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(Actor(user=None, via="cli"), "token.revoke", token)
        self.stdout.write(f"revoked {token.prefix}…")
