"""Issue 20, item 12: the audit log cannot be deleted, admin edits keep old and new values (never password
hashes), and downloads of files and exports are recorded."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from PIL import Image

from tongpin.core.audit import Actor, record
from tongpin.core.models import AuditEvent, Station

from .conftest import new_story


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


@pytest.mark.django_db
def test_the_database_refuses_to_delete_audit_rows(users):
    event = record(Actor(users["admin"]), "test.event")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_flushing_the_database_outside_the_tests_keeps_the_audit_log():
    record(Actor(None), "test.event")
    with pytest.raises(CommandError) as error:
        call_command("flush", interactive=False, verbosity=0)
    assert "append-only" in str(error.value.__cause__)  # DELETE on SQLite, TRUNCATE on PostgreSQL
    assert AuditEvent.objects.filter(action="test.event").exists()
    assert AuditEvent.objects.filter(action="test.event").exists()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_writing_audit_rows_is_still_emptied_afterwards():
    """Its teardown flushes the tables: that must work with the triggers in place (and put them back)."""
    from tongpin.core.models import User

    admin = User.objects.create(username="flush-admin", role="admin")
    record(Actor(admin), "test.event")
    assert AuditEvent.objects.filter(action="test.event").count() == 1


@pytest.mark.django_db(transaction=True)
def test_after_a_flush_the_triggers_are_back():
    # Runs after the test above (file order): its teardown flushed the tables and reinstalled the triggers.
    assert not AuditEvent.objects.filter(action="test.event").exists()
    event = record(Actor(None), "test.event")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE core_auditevent")


# --- admin edits ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_edits_record_old_and_new_values(users, client_for):
    station = Station.objects.create(slug="jx", name="江西广播电视台")
    response = client_for("admin").post(
        f"/admin/core/station/{station.pk}/change/", {"slug": "jx", "name": "江西广电", "short_name": "江西台"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.change", object_type="core.station")
    assert event.changes["values"] == {"name": ["江西广播电视台", "江西广电"], "short_name": ["", "江西台"]}

    reporter = users["reporter"]
    client_for("secadmin").post(  # roles are the security administrator's to give (三员分立)
        f"/admin/core/user/{reporter.pk}/change/",
        {
            "username": "reporter",
            "role": "editor",
            "display_name": "记者",
            "station": station.pk,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    event = AuditEvent.objects.get(action="admin.change", object_type="core.user")
    assert event.changes["values"]["role"] == ["reporter", "editor"]
    assert event.changes["values"]["station"] == [None, "江西台"]


@pytest.mark.django_db
def test_admin_password_resets_are_recorded_without_the_hash(users, client_for):
    reporter = users["reporter"]
    old_hash = reporter.password
    response = client_for("admin").post(
        f"/admin/core/user/{reporter.pk}/password/",
        {"password1": "Another-long-pass-7", "password2": "Another-long-pass-7", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:800]
    reporter.refresh_from_db()
    event = AuditEvent.objects.get(action="admin.password_change")
    assert event.actor == users["admin"] and event.object_id == str(reporter.pk)
    assert event.changes == {"password": "changed"}
    everything = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert old_hash not in everything and reporter.password not in everything
    assert "Another-long-pass-7" not in everything


@pytest.mark.django_db
def test_admin_adding_a_user_records_that_a_password_was_set_not_its_hash(users, client_for):
    response = client_for("admin").post(
        "/admin/core/user/add/",
        {"username": "newbie", "password1": "Long-enough-pass-9", "password2": "Long-enough-pass-9",
         "usable_password": "true"},  # fmt: skip
    )
    assert response.status_code == 302, response.content[:800]
    event = AuditEvent.objects.get(action="admin.add", object_type="core.user")
    assert event.changes["values"].get("password") == "changed"
    assert "pbkdf2" not in str(event.changes) and "md5" not in str(event.changes)


# --- downloads ------------------------------------------------------------------------------------------


def _downloads(user):
    return list(AuditEvent.objects.filter(action="download", actor=user).values_list("object_type", "changes"))


@pytest.mark.django_db
def test_asset_downloads_are_audited_but_thumbnails_are_not(users, client_for, token_for):
    from tongpin.newsroom.assets import attach_asset

    story = new_story(users["reporter"])
    asset = attach_asset(Actor(users["reporter"]), story.pk, SimpleUploadedFile("现场.png", png()))
    assert client_for("editor").get(f"/assets/{asset.key}/").status_code == 200
    assert client_for("editor").get(f"/assets/{asset.key}/thumbnail/").status_code == 200
    api = Client().get(f"/api/v1/assets/{asset.key}/download", HTTP_AUTHORIZATION=f"Bearer {token_for('desk')}")
    assert api.status_code == 200
    assert _downloads(users["editor"]) == [("newsroom.asset", {"file": "现场.png", "story": story.pk})]
    assert len(_downloads(users["desk"])) == 1
    assert AuditEvent.objects.get(actor=users["desk"], action="download").via == "api"


@pytest.mark.django_db
def test_exports_are_audited(users, client_for):
    client_for("editor").get("/review/rules/export.csv")
    assert _downloads(users["editor"]) == [("review.proofrule", {"file": "tongpin-rules.csv"})]
    client_for("editor").get("/analytics/accounts/?export=csv")
    assert ("analytics.account", {"file": "账号.csv", "rows": 0}) in _downloads(users["editor"])


@pytest.mark.django_db
def test_request_attachments_and_agreement_scans_are_audited(users, partners, client_for):
    import datetime as dt

    from django.utils import timezone

    from tongpin.partners import services as partner_services
    from tongpin.planning import requests as request_service

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    wanted = {"title": "需求", "description": "内容", "wanted_by": timezone.localdate() + dt.timedelta(days=3)}
    req = request_service.submit_request(
        Actor(users["liaison_em"]), wanted, [SimpleUploadedFile("方案.pdf", pdf)]
    )
    attachment = req.attachments.get()
    assert client_for("editor").get(f"/requests/{req.pk}/attachments/{attachment.pk}").status_code == 200
    assert _downloads(users["editor"]) == [("partners.requestattachment", {"file": "方案.pdf", "request": req.pk})]

    agreement = partner_services.save_agreement(
        Actor(users["desk"]),
        partners["em"],
        {"title": "合作协议", "starts_on": timezone.localdate(), "ends_on": timezone.localdate() + dt.timedelta(300)},
        attachment=SimpleUploadedFile("协议扫描件.pdf", pdf),
    )
    assert client_for("desk").get(f"/agreements/{agreement.pk}/scan").status_code == 200
    assert _downloads(users["desk"]) == [("partners.agreement", {"file": agreement.attachment_name})]
