"""`tongpin createuser NAME --role ROLE [--partner SLUG] [--password P]`: exit 0 created, 1 refused (the name is
taken, no such partner, a weak password), 2 on a usage error (a liaison without --partner, --partner for another
role)."""

import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core.audit import Actor, record
from tongpin.core.commandbase import USAGE, Invalid, TongpinCommand
from tongpin.core.models import User
from tongpin.core.roles import Role
from tongpin.partners.models import Liaison, Partner


def _validate(password: str, user: User) -> None:
    """The same password rules as the sign-in pages (AUTH_PASSWORD_VALIDATORS)."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise Invalid(_("密码未被接受：%(reasons)s") % {"reasons": " ".join(error.messages)}) from error


class Command(TongpinCommand):
    help = gettext_lazy("创建用户并指定角色；合作方联络人必须指明所属合作方（--partner SLUG）。")

    def add_arguments(self, parser):
        parser.add_argument("username", help=gettext_lazy("用户名"))
        parser.add_argument("--role", required=True, choices=Role.values, help=gettext_lazy("角色"))
        parser.add_argument("--partner", help=gettext_lazy("合作方的标识（partner_liaison 角色必填）"))
        parser.add_argument("--name", default="", help=gettext_lazy("显示名称"))
        parser.add_argument("--email", default="", help=gettext_lazy("电子邮箱"))
        parser.add_argument("--password", help=gettext_lazy("密码（省略时，若连着终端则询问）"))

    def handle(self, *args, username, role, partner=None, name="", email="", password=None, **options):
        if User.objects.filter(username=username).exists():
            raise Invalid(_("用户 %(name)s 已存在") % {"name": repr(username)})
        partner_obj = None
        if role == Role.PARTNER_LIAISON:
            if not partner:
                raise CommandError(_("partner_liaison 角色需要 --partner SLUG"), returncode=USAGE)
            partner_obj = Partner.objects.filter(slug=partner).first()
            if partner_obj is None:
                raise Invalid(_("没有标识为 %(slug)s 的合作方") % {"slug": repr(partner)})
        elif partner:
            raise CommandError(_("--partner 只用于 partner_liaison 角色"), returncode=USAGE)
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
