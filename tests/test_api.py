import json

import pytest
from django.test import Client

from tongpin.core.models import ApiToken
from tongpin.newsroom.models import Story, StoryStatus

from .conftest import api, new_story

pytestmark = pytest.mark.django_db




def test_no_credentials_is_401_with_error_shape(users):
    response = api(Client(), "get", "/stories")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "unauthenticated"


def test_forged_and_revoked_tokens_are_refused(users, token_for):
    assert api(Client(), "get", "/stories", token="tp_forged").status_code == 401
    raw = token_for("reporter")
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert api(Client(), "get", "/stories", token=raw).status_code == 401


def test_inactive_users_token_is_refused(users, token_for):
    raw = token_for("reporter")
    users["reporter"].is_active = False
    users["reporter"].save()
    assert api(Client(), "get", "/stories", token=raw).status_code == 401


def test_token_is_stored_hashed(users, token_for):
    raw = token_for("reporter")
    assert not ApiToken.objects.filter(digest=raw).exists()
    assert ApiToken.objects.get().prefix == raw[:10]


def test_create_get_patch_and_conflict(users, partners, token_for):
    token = token_for("reporter")
    created = api(
        Client(),
        "post",
        "/stories",
        token,
        {
            "title": "防汛要点",
            "body_html": "第一段\n\n第二段",
            "partner": "em",
            "tags": ["防汛"],
            "channel_intentions": ["wechat", "radio"],
        },
    )
    assert created.status_code == 201, created.content
    story = created.json()
    assert story["version"] == 1 and story["partner"] == "em" and story["body_html"] == "<p>第一段</p><p>第二段</p>"
    got = api(Client(), "get", f"/stories/{story['id']}", token).json()
    assert got["title"] == "防汛要点" and got["authors"][0]["username"] == "reporter"
    patched = api(Client(), "patch", f"/stories/{story['id']}", token, {"version": 1, "summary": "摘要"})
    assert patched.status_code == 200 and patched.json()["version"] == 2 and patched.json()["title"] == "防汛要点"
    stale = api(Client(), "patch", f"/stories/{story['id']}", token, {"version": 1, "title": "旧版本上改"})
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["code"] == "edit_conflict"
    assert Story.objects.get().title == "防汛要点"


def test_validation_errors_are_422_with_codes(users, token_for):
    token = token_for("reporter")
    response = api(Client(), "post", "/stories", token, {"title": "", "partner": "ghost"})
    assert response.status_code == 422
    codes = {e["code"] for e in response.json()["errors"]}
    assert codes == {"required", "unknown_partner"}
    bad_channel = api(Client(), "post", "/stories", token, {"title": "x", "channel_intentions": ["fax"]})
    assert bad_channel.status_code == 422 and bad_channel.json()["errors"][0]["location"]
    missing = api(Client(), "post", "/stories", token, {"summary": "no title"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["location"] == "title"
    not_json = Client().post(
        "/api/v1/stories", data="{oops", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert not_json.status_code in (400, 422) and "errors" in not_json.json()


def test_patch_requires_version(users, token_for):
    story = new_story(users["reporter"])
    response = api(Client(), "patch", f"/stories/{story.pk}", token_for("reporter"), {"title": "x"})
    assert response.status_code == 422


def test_search_and_filters_via_api(users, partners, token_for):
    new_story(users["reporter"], title="森林防火宣传", partner="em")
    new_story(users["reporter"], title="招商引资", partner="zone")
    token = token_for("editor")
    found = api(Client(), "get", "/stories?q=森林防火", token).json()
    assert found["count"] == 1 and "<mark>" in found["results"][0]["highlight_title"]
    assert api(Client(), "get", "/stories?partner=zone", token).json()["count"] == 1
    bad = api(Client(), "get", "/stories?status=bogus", token)
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "invalid_status"
    assert api(Client(), "get", "/stories?page_size=1000", token).status_code == 422


def test_partner_isolation_in_api(users, partners, token_for):
    own = new_story(users["reporter"], title="应急科普", partner="em")
    other = new_story(users["reporter"], title="园区科普", partner="zone")
    Story.objects.update(status=StoryStatus.PUBLISHED)
    token = token_for("liaison_em")
    listed = api(Client(), "get", "/stories", token).json()
    assert [r["id"] for r in listed["results"]] == [own.pk]
    assert api(Client(), "get", "/stories?q=科普", token).json()["count"] == 1
    assert api(Client(), "get", "/stories?partner=zone", token).json()["count"] == 0
    assert api(Client(), "get", f"/stories/{other.pk}", token).status_code == 404
    assert api(Client(), "get", f"/stories/{other.pk}/revisions", token).status_code == 404
    assert api(Client(), "get", f"/stories/{own.pk}/revisions", token).status_code == 403
    assert api(Client(), "patch", f"/stories/{own.pk}", token, {"version": 1, "title": "x"}).status_code == 403
    assert api(Client(), "post", "/stories", token, {"title": "x"}).status_code == 403


def test_revisions_diff_and_restore(users, token_for):
    token = token_for("reporter")
    story = new_story(users["reporter"], title="原题", body_html="<p>第一段</p><p>第二段</p>")
    api(
        Client(),
        "patch",
        f"/stories/{story.pk}",
        token,
        {"version": 1, "body_html": "<p>第一段</p><p>第二段改</p>"},
    )
    revisions = api(Client(), "get", f"/stories/{story.pk}/revisions", token).json()
    assert [r["number"] for r in revisions] == [2, 1]
    one = api(Client(), "get", f"/stories/{story.pk}/revisions/1", token).json()
    assert one["body_html"] == "<p>第一段</p><p>第二段</p>"
    diff = api(Client(), "get", f"/stories/{story.pk}/diff?old=1&new=2", token).json()
    assert [line["kind"] for line in diff["body"]] == ["equal", "replace"]
    assert "<ins>改</ins>" in diff["body"][1]["html"]
    restored = api(Client(), "post", f"/stories/{story.pk}/revisions/1/restore", token, {"version": 2})
    assert restored.status_code == 200 and restored.json()["version"] == 3
    assert api(Client(), "get", f"/stories/{story.pk}/revisions/9", token).status_code == 404


def test_session_auth_needs_csrf_for_writes(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["reporter"])
    assert client.get("/api/v1/stories").status_code == 200
    response = client.post("/api/v1/stories", data=json.dumps({"title": "x"}), content_type="application/json")
    assert response.status_code == 403
    assert Story.objects.count() == 0


def test_me(users, token_for):
    me = api(Client(), "get", "/me", token_for("liaison_em")).json()
    assert me["role"] == "partner_liaison" and me["partner"] == "em"


def test_audit_api_audit_administrator_only(users, token_for):
    new_story(users["reporter"])
    assert api(Client(), "get", "/audit", token_for("editor")).status_code == 403
    # 三员分立: the system administrator does not read the audit log; the audit administrator does.
    assert api(Client(), "get", "/audit", token_for("admin")).status_code == 403
    assert api(Client(), "get", "/audit", token_for("secadmin")).status_code == 403
    page = api(Client(), "get", "/audit?action=story", token_for("auditor")).json()
    assert page["count"] == 1 and page["results"][0]["action"] == "story.create"


def test_openapi_document_and_docs(users, client_for):
    doc = Client().get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/stories", "/api/v1/stories/{story_id}", "/api/v1/stories/{story_id}/revisions"):
        assert path in doc["paths"]
    assert client_for("reporter").get("/api/v1/docs").status_code == 200


def test_healthz(db):
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json()["database"]["ok"] is True


def test_api_never_500s_on_odd_input(users, token_for):
    token = token_for("reporter")
    for path in [
        "/stories/abc",
        "/stories/99999999",
        "/stories?date_from=notadate",
        "/stories?page=-1",
        "/assets/not-a-uuid/download",
        "/stories/1/diff?old=x&new=y",
    ]:
        assert api(Client(), "get", path, token).status_code < 500, path
    huge = api(Client(), "post", "/stories", token, {"title": "x", "body_html": "段" * 200_001})
    assert huge.status_code == 422


def test_export_and_reindex_via_api(users, partners, token_for):
    new_story(users["reporter"], title="防汛要点", partner="em")
    csv = Client().get("/api/v1/stories/export.csv?q=防汛", HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}")
    assert csv.status_code == 200 and "防汛要点" in b"".join(csv.streaming_content).decode()
    assert api(Client(), "post", "/search/reindex", token_for("editor")).status_code == 403
    queued = api(Client(), "post", "/search/reindex", token_for("admin"))
    assert queued.status_code == 202 and queued.json()["task_id"]


def test_export_with_date_filters_is_audited_not_crashed(users, token_for):
    new_story(users["reporter"], title="防汛要点")
    response = Client().get(
        "/api/v1/stories/export.csv?date_from=2000-01-01&date_to=2100-01-01",
        HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}",
    )
    assert response.status_code == 200 and "防汛要点" in b"".join(response.streaming_content).decode()
    from tongpin.core.models import AuditEvent

    assert AuditEvent.objects.get(action="story.export").changes["filters"]["date_from"] == "2000-01-01"


def test_ids_past_64_bits_are_not_found_not_crashes(users, token_for, client_for):
    huge = 2**70
    token = token_for("admin")
    for path in [f"/stories/{huge}", f"/stories/{huge}/revisions", f"/stories/{huge}/review"]:
        assert api(Client(), "get", path, token).status_code == 404, path
    story = new_story(users["reporter"])
    assert api(Client(), "get", f"/stories/{story.pk}/revisions/{huge}", token).status_code == 404
    created = api(Client(), "post", "/stories", token, {"title": "x", "author_ids": [huge], "campaign_id": huge})
    assert created.status_code == 422
    assert {e["code"] for e in created.json()["errors"]} == {"unknown_author", "unknown_campaign"}
    admin = client_for("admin")
    assert admin.get(f"/stories/{huge}/").status_code == 404
    assert admin.post(f"/review/flags/{huge}/resolve/", {"withdraw": "1", "note": "x"}).status_code == 404
    assert admin.post(f"/review/rules/{huge}/delete/").status_code == 404


def test_export_with_a_bad_range_is_a_clear_error(users, token_for):
    response = Client().get(
        "/api/v1/stories/export.csv?date_from=2026-02-01&date_to=2026-01-01",
        HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}",
    )
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "invalid_range"


def test_search_pages_stop_at_the_ranking_window(users, token_for):
    from tongpin.newsroom.search.backends import RANK_WINDOW

    new_story(users["reporter"], title="防汛")
    page = RANK_WINDOW // 100 + 1
    response = api(Client(), "get", f"/stories?q=防汛&page_size=100&page={page}", token_for("editor"))
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "page_out_of_range"
    assert api(Client(), "get", f"/stories?page_size=100&page={page}", token_for("editor")).status_code == 200


def test_audit_date_range(users, token_for):
    new_story(users["reporter"])
    token = token_for("auditor")
    assert api(Client(), "get", "/audit?date_from=2000-01-01&date_to=2000-01-02", token).json()["count"] == 0
    assert api(Client(), "get", "/audit?date_from=2000-01-01&date_to=2100-01-01", token).json()["count"] >= 1


def test_absurd_page_numbers_are_refused_or_empty(users, token_for, client_for):
    new_story(users["reporter"], title="防汛")
    huge = 10**24
    assert api(Client(), "get", f"/stories?page={huge}", token_for("editor")).status_code == 422
    page = client_for("editor").get("/stories/", {"page": huge})
    assert page.status_code == 200 and "没有找到符合条件的稿件" in page.content.decode()


def _models(annotation, found: set) -> None:
    import typing

    import pydantic

    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, found)
    for argument in typing.get_args(annotation):
        _models(argument, found)


def test_no_two_schemas_share_a_name_in_the_openapi_document():
    """django-ninja keys OpenAPI components by class name: two classes of one name would document one endpoint with
    the other's fields (a generated client then sends the wrong body)."""
    from collections import defaultdict

    from tongpin.api import api

    found: set = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.models, *(operation.response_models or {}).values()]:
                    _models(model, found)
    names = defaultdict(set)
    for model in found:
        names[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    assert len(found) > 100  # the walk reached the schemas
    assert {name: sorted(where) for name, where in names.items() if len(where) > 1} == {}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("get", "/alerts/cap", "POST"), ("get", "/commitments/4", "DELETE, PATCH"), ("put", "/me", "GET")],
)
def test_a_wrong_method_is_a_json_405_with_allow(users, token_for, method, path, allow):
    response = api(Client(), method, path, token=token_for("admin"))
    assert response.status_code == 405 and response["Content-Type"].startswith("application/json")
    assert response["Allow"] == allow
    assert response.json()["errors"] == [
        {"code": "method_not_allowed", "message": f"此地址不支持 {method.upper()} 请求。", "location": ""}
    ]


@pytest.mark.parametrize("path", ["/api/v1/nonexistent", "/api/v1/stories/1/nothing-here", "/api/v2/stories", "/api/"])
def test_unknown_api_paths_are_a_json_404_and_pages_keep_theirs(users, client_for, path):
    response = client_for("reporter").get(path)
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json()["errors"] == [{"code": "not_found", "message": "资源不存在。", "location": ""}]
    page = client_for("reporter").get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert "页面不存在" in page.content.decode()


def test_unknown_alert_level_or_state_filter_is_422(users, token_for):
    raw = token_for("duty")
    assert api(Client(), "get", "/alerts?level=red&state=pending", token=raw).status_code == 200
    wrong = api(Client(), "get", "/alerts?level=purple&state=lost", token=raw)
    assert wrong.status_code == 422
    errors = {e["code"]: e for e in wrong.json()["errors"]}
    assert errors["invalid_level"]["location"] == "level"
    assert "red、orange、yellow、blue" in errors["invalid_level"]["message"]
    assert errors["invalid_state"]["location"] == "state" and "released" in errors["invalid_state"]["message"]
