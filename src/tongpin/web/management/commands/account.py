from django.core.management.base import BaseCommand, CommandError

from tongpin.core import dormancy, twofactor
from tongpin.core.audit import Actor
from tongpin.core.models import User

CLI = Actor(user=None, via="cli")


class Command(BaseCommand):
    help = (
        "Sign-in administration (docs/security.md): `account disable-dormant [--dry-run]` disables accounts without a "
        "sign-in for TONGPIN_DORMANT_DAYS days now; `account enable NAME` re-enables one; `account reset-2fa NAME` "
        "removes someone's second factor (a lost phone and lost recovery codes; also the break-glass way back in for "
        "the last admin). Every change is audited."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        dormant = sub.add_parser("disable-dormant")
        dormant.add_argument("--dry-run", action="store_true", help="list them, change nothing")
        sub.add_parser("enable").add_argument("username")
        sub.add_parser("reset-2fa").add_argument("username")

    def handle(self, *args, action, **options):
        if action == "disable-dormant":
            if options["dry_run"]:
                for user in dormancy.dormant():
                    self.stdout.write(f"would disable {user.username} (last sign-in: {user.last_login or 'never'})")
                return
            done = dormancy.disable_dormant(actor=CLI)
            for user in done:
                self.stdout.write(f"disabled {user.username}")
            self.stdout.write(f"{len(done)} dormant account(s) disabled")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        if action == "enable":
            changed = dormancy.enable(CLI, user)
            self.stdout.write(f"enabled {user.username}" if changed else f"{user.username} was already enabled")
        else:
            twofactor.remove(CLI, user, by_admin=True)
            self.stdout.write(f"second factor of {user.username} removed: they set it up again at their next sign-in")
