"""The demo's accounts as the pages show them: people by their name alone, logins and roles as documented."""

import re

import pytest

from tongpin.core.models import User
from tongpin.core.roles import MACHINE_ROLES, Role
from tongpin.web.demo import load_demo

pytestmark = pytest.mark.django_db

# The logins README, docs and the browser tests use, with their roles: renaming people must not touch these.
LOGINS = {
    "admin": Role.ADMIN,
    "secadmin": Role.SECURITY_ADMIN,
    "auditor": Role.AUDIT_ADMIN,
    "reporter": Role.REPORTER,
    "editor": Role.EDITOR,
    "editor2": Role.EDITOR,
    "desk": Role.DESK_CHIEF,
    "chief": Role.CHIEF_EDITOR,
    "duty": Role.DUTY_OFFICER,
    "qy_reporter": Role.REPORTER,
    "anchor": Role.ANCHOR,
    "liaison_em": Role.PARTNER_LIAISON,
    "liaison_zone": Role.PARTNER_LIAISON,
    "jxqx": Role.ALERT_SENDER,
}


def test_demo_people_are_shown_by_name_alone_with_their_logins_and_roles_kept():
    load_demo()
    assert dict(User.objects.values_list("username", "role")) == LOGINS
    people = User.objects.exclude(role__in=MACHINE_ROLES)
    # Lists put the role (an assignment's 分工, a role column) beside the name: a role or office in it reads twice.
    for user in people:
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", user.display_name), user.username
        assert not any(str(label) in user.display_name for label in Role.labels), user.username
    assert str(User.objects.get(username="anchor")) == "林悦"
    assert len({user.display_name for user in people}) == people.count()  # nobody to mix up with someone else
