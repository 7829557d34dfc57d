"""Open redirects (issue 20, item 13): a `next` field only ever leads back into this site."""

import datetime as dt

from django.test import Client, RequestFactory

from tongpin.core.weblinks import local_next
from tongpin.partners.models import ActionItem

from .conftest import PASSWORD

ELSEWHERE = ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
             "http://testserver.evil.example/"]  # fmt: skip


def test_local_next_keeps_paths_and_refuses_other_sites():
    request = RequestFactory().post("/")
    assert local_next(request, "/planning/mine/?week=2", "/") == "/planning/mine/?week=2"
    assert local_next(request, "http://testserver/stories/", "/") == "http://testserver/stories/"
    for target in ELSEWHERE:
        assert local_next(request, target, "/fallback/") == "/fallback/", target


def test_an_action_items_next_cannot_leave_the_site(users, partners, client_for):
    item = ActionItem.objects.create(partner=partners["em"], title="报送材料", owner=users["desk"],
                                     due_on=dt.date(2026, 12, 31))  # fmt: skip
    desk = client_for("desk")
    for target in ELSEWHERE:
        answer = desk.post(f"/actions/{item.pk}/state", {"state": "open", "next": target})
        assert answer.status_code == 302 and answer["Location"] == "/partners/em/#actions", target
    kept = desk.post(f"/actions/{item.pk}/state", {"state": "done", "next": "/planning/mine/"})
    assert kept["Location"] == "/planning/mine/"


def test_login_does_not_follow_a_foreign_next(users):
    for target in ELSEWHERE:
        answer = Client().post(f"/login/?next={target}", {"username": "editor", "password": PASSWORD})
        assert answer.status_code == 302 and answer["Location"] == "/", target
