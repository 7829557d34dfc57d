"""Schemathesis over the OpenAPI document, once per role, checking authorisation as well as robustness (issue 20,
"Measure it"): with each role's API token, generated requests to every operation must never answer 5xx, and an
answer 2xx must be one the role is entitled to.

What an operation demands is taken from the code itself: every capability check goes through `roles.can`, which
reads the role's capability set, so a recording set records each capability an operation consulted for that very
request. A 2xx answer is then allowed only when the role holds one of the capabilities consulted, or when the
operation is declared open to every signed-in person (OPEN below: it shows the caller's own things, or describes
plug-ins). So an operation that answers 2xx while checking nothing, and is not declared open, fails the test — the
"every endpoint declares its capability" rule of the issue. Every operation of the document must be exercised.

Requests go through the WSGI application in this process (the test database, nothing on the network; outbound
address resolution is refused), with a bounded number of examples per operation and role.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from tongpin.core import outbound, roles
from tongpin.core.models import ApiToken, User
from tongpin.core.roles import Role

EXAMPLES = 2  # per operation and role

# Operations any signed-in (non-machine) person may use: their own account, notifications-like reads of what is
# theirs, lists filtered to their scope. Each with the reason.
OPEN = {
    ("GET", "/me"): "the caller's own account",
    ("GET", "/me/security"): "the caller's own second factor and password age",
    ("GET", "/calendar/feeds"): "the caller's own iCalendar address",
    ("POST", "/calendar/feeds/rotate"): "the caller's own iCalendar key",
    ("GET", "/channel-types"): "describes plug-ins (kinds, field limits, setting names); no data",
    ("GET", "/measures"): "describes what commitments can count; no data",
    ("GET", "/analytics/formats"): "describes import formats; no data",
    ("GET", "/review/queue"): "steps naming the caller",
}
MACHINE_ONLY = {("POST", "/alerts/cap")}


class Recording(frozenset):
    """A role's capability set that notes every capability asked about."""

    asked: list[str] = []

    def __contains__(self, item) -> bool:
        Recording.asked.append(item)
        return frozenset.__contains__(self, item)


ROLE_USERS = {
    Role.REPORTER: "reporter", Role.ANCHOR: "anchor", Role.EDITOR: "editor", Role.DESK_CHIEF: "desk",
    Role.CHIEF_EDITOR: "chief", Role.DUTY_OFFICER: "duty", Role.PARTNER_LIAISON: "liaison_em",
    Role.ALERT_SENDER: "jxqx", Role.ADMIN: "admin",
}  # fmt: skip


def _template(path: str) -> str:
    return path.removeprefix("/api/v1")


@pytest.fixture
def recording(monkeypatch):
    for role, granted in list(roles.CAPABILITIES.items()):
        monkeypatch.setitem(roles.CAPABILITIES, role, Recording(granted))

    def refuse(*args, **kwargs):
        raise OSError("no name resolution in this test")

    monkeypatch.setattr(outbound, "resolver", refuse)
    Recording.asked = []
    return Recording


def test_every_role_gets_no_5xx_and_no_2xx_beyond_its_capabilities(db, recording, wsgi_keeps_connection):
    from django.core.wsgi import get_wsgi_application

    from tongpin.web.demo import load_demo

    load_demo()
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 150
    tokens = {role: ApiToken.issue(User.objects.get(username=name), "schemathesis")[1]
              for role, name in ROLE_USERS.items()}  # fmt: skip
    consulted: dict[tuple[str, str], set[str]] = defaultdict(set)
    exercised: set[tuple[str, str]] = set()
    problems: list[str] = []
    succeeded: dict[str, set] = defaultdict(set)  # role -> operations that answered it 2xx
    for role, token in tokens.items():
        granted = frozenset.union(frozenset(), roles.CAPABILITIES[role])
        for operation in operations:
            key = (operation.method.upper(), _template(operation.path))
            seen: list = []
            try:
                _explore(operation, key, role, token, granted, consulted, seen, problems)
                if any(200 <= status < 300 for status in seen):
                    succeeded[role].add(key)
            except Unsatisfiable:
                pass
            if seen:
                exercised.add(key)
    assert not problems, "\n".join(problems[:40])
    every = {(op.method.upper(), _template(op.path)) for op in operations}
    assert every - exercised == set(), sorted(every - exercised)
    # The oracle was at work: capability checks were recorded, and many operations answered 2xx (a run of only
    # refusals would prove nothing about entitlement).
    assert "audit.view" in consulted[("GET", "/audit")]
    assert len(succeeded[Role.ADMIN]) >= 40 and len(succeeded[Role.REPORTER]) >= 15, {
        role: len(keys) for role, keys in succeeded.items()}  # fmt: skip
    assert succeeded[Role.ALERT_SENDER] <= MACHINE_ONLY
    print({role: len(keys) for role, keys in succeeded.items()})
    assert set(OPEN) <= every  # no stale declaration


def _explore(operation, key, role, token, granted, consulted, seen, problems) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case):
        Recording.asked = []
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        asked = set(Recording.asked)
        consulted[key] |= asked
        seen.append(response.status_code)
        if response.status_code >= 500:
            problems.append(f"{role} {key}: {response.status_code}")
        elif 200 <= response.status_code < 300 and not _entitled(role, key, asked, granted):
            problems.append(f"{role} {key}: {response.status_code} without any of {sorted(asked)}")

    run()


def _entitled(role: str, key: tuple[str, str], asked: set[str], granted: frozenset[str]) -> bool:
    if role in roles.MACHINE_ROLES:
        return key in MACHINE_ONLY
    if key in OPEN:
        return True
    return bool(asked & granted)


def test_an_upload_that_is_neither_utf8_nor_gbk_is_refused_not_a_server_error(users, client_for):
    """Found by the run above: random bytes posted as a results file answered 500."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    editor = client_for("editor")
    for data in (b"\x80\xff\x81\xfe" * 8, b"\x00"):
        answer = editor.post("/api/v1/live/results", {"file": SimpleUploadedFile("r.csv", data, "text/csv")})
        assert answer.status_code in (400, 422), answer.content
