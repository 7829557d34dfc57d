import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tongpin.core.audit import Actor, record
from tongpin.core.models import User
from tongpin.core.roles import Role
from tongpin.partners.models import Liaison, Partner


def _validate(password: str, user: User) -> None:
    """The same password rules as the sign-in pages (AUTH_PASSWORD_VALIDATORS)."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise CommandError("password refused: " + " ".join(error.messages)) from error


class Command(BaseCommand):
    help = "Create a user with a role; partner liaisons must name their partner (--partner SLUG)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--partner", help="partner slug (required for partner_liaison)")
        parser.add_argument("--name", default="", help="display name")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="password (asked for when omitted and a terminal is attached)")

    def handle(self, *args, username, role, partner=None, name="", email="", password=None, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} already exists")
        partner_obj = None
        if role == Role.PARTNER_LIAISON:
            if not partner:
                raise CommandError("a partner_liaison needs --partner SLUG")
            partner_obj = Partner.objects.filter(slug=partner).first()
            if partner_obj is None:
                raise CommandError(f"no partner with slug {partner!r}")
        elif partner:
            raise CommandError("--partner is only for the partner_liaison role")
        if password is None:
            password = getpass.getpass("Password: ") if self.stdin_is_tty() else None
        with transaction.atomic():
            user = User(username=username, role=role, display_name=name, email=email)
            if password:
                _validate(password, user)
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
            if partner_obj:
                Liaison.objects.create(user=user, partner=partner_obj)
            record(Actor(user=None, via="cli"), "user.create", user, {"role": role, "partner": partner or ""})
        self.stdout.write(f"created {username} ({role})")

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()
