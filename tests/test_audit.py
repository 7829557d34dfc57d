import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tongpin.core.audit import Actor, batched, client_ip, record
from tongpin.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_rows_cannot_be_changed_or_deleted(users):
    event = record(Actor(users["admin"], ip="10.0.0.1"), "test.event", users["reporter"], {"a": 1})
    event.action = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_database_refuses_raw_update(users):
    event = record(Actor(users["admin"]), "test.event")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_client_ip_trusts_forwarded_only_when_configured(rf, settings):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    settings.TONGPIN_TRUSTED_PROXIES = 0
    assert client_ip(request) == "127.0.0.1"
    settings.TONGPIN_TRUSTED_PROXIES = 1
    assert client_ip(request) == "5.6.7.8"
    assert client_ip(rf.get("/", REMOTE_ADDR="not-an-ip")) is None


def test_admin_changes_are_audited(users, client_for):
    reporter = users["reporter"]
    form = {
        "username": "reporter",
        "role": "editor",
        "display_name": "记者",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    # 三员分立: the system administrator edits the account, but its role is the security administrator's to give.
    response = client_for("admin").post(f"/admin/core/user/{reporter.pk}/change/", {**form, "display_name": "记者甲"})
    assert response.status_code == 302, response.content[:500]
    reporter.refresh_from_db()
    assert (reporter.role, reporter.display_name) == ("reporter", "记者甲")
    response = client_for("secadmin").post(f"/admin/core/user/{reporter.pk}/change/", form)
    assert response.status_code == 302, response.content[:500]
    reporter.refresh_from_db()
    assert reporter.role == "editor"
    event = AuditEvent.objects.filter(action="admin.change").latest("seq")
    assert event.actor == users["secadmin"] and "role" in event.changes["fields"]
    assert AuditEvent.objects.get(action="user.role_change").changes["role"] == ["reporter", "editor"]


def test_deleting_a_story_removes_its_index_row(users):
    from tongpin.newsroom.listing import StoryFilters, list_stories
    from tongpin.newsroom.models import Story

    from .conftest import new_story

    story = new_story(users["reporter"], title="森林防火")
    Story.objects.filter(pk=story.pk).delete()
    assert list_stories(users["editor"], StoryFilters(q="森林防火")).total == 0


def test_batched_events_are_written_together_at_the_end_or_not_at_all(users):
    who = Actor(user=users["duty"], ip="10.0.0.1")
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:  # one INSERT for all three, when the block ends
            with batched():
                for action in ("alert.received", "alert.auto_release", "alert.released"):
                    record(who, action, object_type="alerts.alert", object_id="7")
                assert not queries.captured_queries  # nothing until the block ends
    # One INSERT; before it only the chain's head is read (core/auditchain.py: the last event's hash).
    written = [q["sql"] for q in queries.captured_queries]
    assert [sql.split()[0] for sql in written if not sql.startswith("SELECT")] == ["INSERT"]
    rows = list(AuditEvent.objects.filter(object_id="7").order_by("id"))
    assert [r.action for r in rows] == ["alert.received", "alert.auto_release", "alert.released"]
    assert all(r.actor == users["duty"] and r.ip == "10.0.0.1" for r in rows)
    assert rows[0].at <= rows[1].at <= rows[2].at  # each keeps its own time

    with pytest.raises(RuntimeError), transaction.atomic(), batched():
        record(who, "alert.received", object_type="alerts.alert", object_id="8")
        raise RuntimeError("the work failed half-way")
    assert not AuditEvent.objects.filter(object_id="8").exists()
    record(who, "after", object_type="alerts.alert", object_id="9")  # outside a batch: written at once
    assert AuditEvent.objects.filter(object_id="9").exists()
