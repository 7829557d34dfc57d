import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tongpin.core.models import User
from tongpin.newsroom.models import Revision, Story
from tongpin.partners.models import Liaison
from tongpin.web.demo import DEMO_USERS, STORIES, load_demo

pytestmark = pytest.mark.django_db


def test_createuser_with_partner(partners):
    call_command("createuser", "liu", "--role", "partner_liaison", "--partner", "em", "--password", "pw-1234567890")
    user = User.objects.get(username="liu")
    assert user.role == "partner_liaison" and Liaison.objects.get(user=user).partner.slug == "em"
    assert user.check_password("pw-1234567890")


def test_createuser_refuses_bad_combinations(partners):
    with pytest.raises(CommandError):
        call_command("createuser", "a", "--role", "partner_liaison", "--password", "x")
    with pytest.raises(CommandError):
        call_command("createuser", "b", "--role", "reporter", "--partner", "em", "--password", "x")
    with pytest.raises(CommandError):
        call_command("createuser", "c", "--role", "partner_liaison", "--partner", "nope", "--password", "x")
    assert not User.objects.exists()


def test_token_create_prints_a_working_token(users):
    out = io.StringIO()
    call_command("token", "create", "reporter", stdout=out)
    raw = out.getvalue().strip()
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["username"] == "reporter"
    call_command("token", "revoke", raw[:10], stdout=io.StringIO())
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_demo_loads_once(db):
    assert load_demo() is True
    counts = (User.objects.count(), Story.objects.count(), Revision.objects.count())
    assert counts[0] == len(DEMO_USERS) and counts[1] == len(STORIES)
    assert load_demo() is False
    assert (User.objects.count(), Story.objects.count(), Revision.objects.count()) == counts
    # Demo stories meant to be published go through the real pipeline: queued, then delivered by a worker.
    assert not Story.objects.filter(status="published").exists()
    from tongpin.publishing.dispatcher import Dispatcher
    from tongpin.publishing.models import Delivery

    assert Delivery.objects.filter(state="pending").exists()
    Dispatcher(threads=2, poll=0.01).run(once=True)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"success"}
    assert Story.objects.filter(status="published").exists()


def test_reindex_command(db):
    load_demo()
    out = io.StringIO()
    call_command("reindex", stdout=out)
    assert f"indexed {len(STORIES)} stories" in out.getvalue()
