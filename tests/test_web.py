import pytest
from django.test import Client

from tongpin.core.models import AuditEvent
from tongpin.newsroom.models import Story, StoryStatus

from .conftest import PASSWORD, new_story

pytestmark = pytest.mark.django_db


def test_pages_need_login(db):
    for path in ["/", "/stories/", "/stories/new/", "/audit/"]:
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_favicon_answers_and_every_page_links_it(users, client_for):
    anonymous = Client()
    asked = anonymous.get("/favicon.ico")
    assert asked.status_code == 301 and asked["Location"] == "/static/web/favicon.svg"
    icon = anonymous.get(asked["Location"])
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)
    link = '<link rel="icon" href="/static/web/favicon.svg" type="image/svg+xml">'
    assert link in anonymous.get("/login/").content.decode()
    assert link in client_for("reporter").get("/stories/").content.decode()
    assert "img-src 'self'" in client_for("reporter").get("/stories/")["Content-Security-Policy"]


def test_wrong_login_never_says_whether_the_user_exists(users):
    unknown = Client().post("/login/", {"username": "nobody", "password": "x"})
    wrong = Client().post("/login/", {"username": "reporter", "password": "wrong"})
    assert unknown.status_code == wrong.status_code == 200
    assert "账号或密码不正确" in unknown.content.decode()
    assert unknown.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 2


def test_login_and_dashboard(users):
    client = Client()
    response = client.post("/login/", {"username": "reporter", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    new_story(users["reporter"], title="我的草稿")
    page = client.get("/").content.decode()
    assert "我的待办" in page and "我的草稿" in page
    assert AuditEvent.objects.filter(action="auth.login", actor=users["reporter"]).exists()


def test_create_story_through_form(users, partners, client_for):
    client = client_for("reporter")
    response = client.post(
        "/stories/new/",
        {
            "title": "防灾减灾日活动",
            "summary": "",
            "body_html": "<p>社区演练</p>",
            "partner": "em",
            "tags": "防灾减灾，演练",
            "channel_intentions": ["wechat", "tv"],
        },
    )
    story = Story.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/stories/{story.pk}/"
    assert sorted(t.name for t in story.tags.all()) == ["演练", "防灾减灾"]
    detail = client.get(response["Location"]).content.decode()
    assert "社区演练" in detail and "微信公众号" in detail


def test_form_errors_are_shown_in_chinese(users, client_for):
    response = client_for("reporter").post("/stories/new/", {"title": "", "partner": "ghost"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "这个字段是必填项" in text or "请填写标题" in text
    assert Story.objects.count() == 0


def test_edit_conflict_keeps_what_the_user_wrote(users, client_for):
    story = new_story(users["reporter"], title="原题")
    from tongpin.core.audit import Actor
    from tongpin.newsroom.stories import StoryInput, update_story

    update_story(Actor(users["editor"]), story.pk, StoryInput.of(title="编辑先改"), 1)
    response = client_for("reporter").post(
        f"/stories/{story.pk}/edit/",
        {
            "title": "记者后改",
            "body_html": "<p>我的新段落</p>",
            "version": 1,
        },
    )
    text = response.content.decode()
    assert response.status_code == 200 and "保存冲突" in text and "我的新段落" in text and "记者后改" in text
    assert Story.objects.get().title == "编辑先改"
    overwrite = client_for("reporter").post(
        f"/stories/{story.pk}/edit/",
        {
            "title": "记者后改",
            "body_html": "<p>我的新段落</p>",
            "version": 1,
            "overwrite_version": 2,
        },
    )
    assert overwrite.status_code == 302
    assert Story.objects.get().title == "记者后改" and Story.objects.get().version == 3


def test_history_diff_and_restore_pages(users, client_for):
    story = new_story(users["reporter"], body_html="<p>甲</p>")
    from tongpin.core.audit import Actor
    from tongpin.newsroom.stories import StoryInput, update_story

    update_story(Actor(users["reporter"]), story.pk, StoryInput.of(body_html="<p>甲乙</p>"), 1)
    client = client_for("reporter")
    assert "第 2 版" in client.get(f"/stories/{story.pk}/history/").content.decode()
    diff = client.get(f"/stories/{story.pk}/diff/?old=1&new=2").content.decode()
    assert "<ins>乙</ins>" in diff
    restore = client.post(f"/stories/{story.pk}/revisions/1/restore/", {"version": 2})
    assert restore.status_code == 302 and Story.objects.get().body_text == "甲"
    stale = client.post(f"/stories/{story.pk}/revisions/1/restore/", {"version": 2}, follow=True)
    assert "已被" in stale.content.decode()


def test_search_page_and_htmx_partial(users, client_for):
    new_story(users["reporter"], title="森林防火宣传周")
    client = client_for("editor")
    page = client.get("/stories/", {"q": "森林防火"}).content.decode()
    assert "<mark>森林防火</mark>" in page and "<html" in page
    partial = client.get("/stories/", {"q": "森林防火"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<mark>森林防火</mark>" in partial and "<html" not in partial
    bad = client.get("/stories/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200 and "开始日期不能晚于结束日期" in bad.content.decode()


def test_liaison_pages_are_isolated(users, partners, client_for):
    own = new_story(users["reporter"], title="应急宣传", partner="em")
    other = new_story(users["reporter"], title="园区宣传", partner="zone")
    Story.objects.update(status=StoryStatus.PUBLISHED)
    client = client_for("liaison_em")
    listing = client.get("/stories/").content.decode()
    assert "应急宣传" in listing and "园区宣传" not in listing
    assert "清远高新区" not in listing  # other partners are not even offered as a filter
    assert client.get(f"/stories/{other.pk}/").status_code == 404
    assert client.get(f"/stories/{own.pk}/").status_code == 200
    assert client.get(f"/stories/{own.pk}/history/").status_code == 403
    assert client.get(f"/stories/{own.pk}/edit/").status_code == 403
    assert "园区宣传" not in client.get("/").content.decode()


def test_audit_page_is_the_audit_administrators(users, client_for):
    new_story(users["reporter"], title="审计对象")
    assert client_for("editor").get("/audit/").status_code == 403
    assert client_for("admin").get("/audit/").status_code == 403  # 三员分立: not the system administrator
    page = client_for("auditor").get("/audit/", {"action": "story"}).content.decode()
    assert "story.create" in page and "审计对象" in page


def test_english_through_i18n(users, client_for):
    client = client_for("reporter")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/stories/").content.decode()
    assert "Story pool" in page


def test_unknown_pages_are_calm_404(users, client_for):
    response = client_for("reporter").get("/stories/999999/")
    assert response.status_code == 404 and "稿件不存在" in response.content.decode()


def test_upload_through_page_reports_refusal(users, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    story = new_story(users["reporter"])
    response = client_for("reporter").post(
        f"/stories/{story.pk}/assets/", {"file": SimpleUploadedFile("x.jpg", b"%PDF-1.4\n%%EOF")}, follow=True
    )
    assert "与扩展名" in response.content.decode()


def test_an_upload_without_a_file_and_an_export_with_a_bad_filter_say_why(users, client_for):
    from django.contrib.messages import get_messages

    story, reporter = new_story(users["reporter"]), client_for("reporter")
    response = reporter.post(f"/stories/{story.pk}/assets/", {"caption": "无图"})
    assert response.status_code == 302 and response["Location"] == f"/stories/{story.pk}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["这个字段是必填项。"]
    exported = reporter.get("/stories/export.csv?date_from=not-a-date")
    assert exported.status_code == 422 and "输入一个有效的日期。" in exported.content.decode()


def test_chinese_first_even_for_english_browsers(users, client_for):
    page = client_for("reporter").get("/stories/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "稿件库" in page and "Story pool" not in page


def test_co_authors_chosen_in_the_form_can_edit(users, client_for):
    response = client_for("reporter").post(
        "/stories/new/",
        {
            "title": "合写稿件",
            "body_html": "<p>正文</p>",
            "authors": [users["reporter"].pk, users["reporter2"].pk],
        },
    )
    story = Story.objects.get()
    assert response.status_code == 302
    assert sorted(a.username for a in story.authors.all()) == ["reporter", "reporter2"]
    edit = client_for("reporter2").post(f"/stories/{story.pk}/edit/", {"title": "合写稿件（改）", "version": 1})
    assert edit.status_code == 302 and Story.objects.get().title == "合写稿件（改）"
    assert sorted(a.username for a in Story.objects.get().authors.all()) == ["reporter", "reporter2"]


def test_the_authors_offered_are_people_who_write(users, client_for):
    from tongpin.core.errors import ValidationFailed
    from tongpin.core.roles import Role
    from tongpin.newsroom import stories

    from .conftest import make_user

    sender = make_user("cma_feed", Role.ALERT_SENDER)  # the weather bureau's machine account
    gone = make_user("left_last_year", Role.REPORTER)
    gone.is_active = False
    gone.save()
    form = client_for("reporter").get("/stories/new/").content.decode()
    offered = form.split('name="authors"')[1].split("</select>")[0]
    assert f'value="{users["reporter2"].pk}"' in offered and f'value="{users["editor"].pk}"' in offered
    for person in (sender, gone, users["duty"], users["liaison_em"]):
        assert f'value="{person.pk}"' not in offered, person.username
    with pytest.raises(ValidationFailed) as error:  # nor through the API or the service
        new_story(users["reporter"], author_ids=[sender.pk])
    assert error.value.errors[0].code == "unknown_author"
    assert stories.possible_authors().filter(pk=sender.pk).exists() is False


def test_export_csv_follows_filters_and_scope(users, partners, client_for):
    own = new_story(users["reporter"], title="=应急宣传", partner="em", tags=["防汛"])
    new_story(users["reporter"], title="园区宣传", partner="zone")
    Story.objects.update(status=StoryStatus.PUBLISHED)
    staff = b"".join(client_for("editor").get("/stories/export.csv", {"q": "宣传"}).streaming_content).decode()
    assert staff.startswith("\ufeffid,标题") and "园区宣传" in staff and "'=应急宣传" in staff
    liaison = client_for("liaison_em").get("/stories/export.csv")
    text = b"".join(liaison.streaming_content).decode()
    assert liaison["Content-Type"].startswith("text/csv")
    assert f"{own.pk}," in text and "园区宣传" not in text
    assert AuditEvent.objects.filter(action="story.export").count() == 2


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks, as in production
def test_maintenance_reindex_runs_in_the_worker(users, client_for):
    from django.core.management import call_command

    new_story(users["reporter"], title="森林防火")
    assert client_for("editor").get("/maintenance/").status_code == 403
    response = client_for("admin").post("/maintenance/", follow=True)
    assert "已安排后台重建检索索引" in response.content.decode()
    # The task side of the worker only: the test database is SQLite in memory with a shared cache, where two
    # threads of one process (the delivery loop beside the task runner) fail with "table is locked" instead of
    # waiting as they do on a database file (the real worker is tested on files in test_publishing_workers.py).
    call_command("worker", "--batch", "--tasks-only", "--interval", "0")
    event = AuditEvent.objects.get(action="search.reindexed")
    assert event.changes == {"stories": 1}


def test_password_guessing_is_throttled(users):
    from django.core.cache import cache

    cache.clear()
    for _ in range(5):
        Client().post("/login/", {"username": "reporter", "password": "guess"})
    blocked = Client().post("/login/", {"username": "reporter", "password": PASSWORD})
    assert "登录失败次数过多" in blocked.content.decode() and "_auth_user_id" not in blocked.client.session
    other = Client().post("/login/", {"username": "editor", "password": PASSWORD})
    assert other.status_code == 302
    cache.clear()


def test_a_database_that_cannot_be_reached_answers_503_not_a_500(client_for, token_for, monkeypatch):
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("tongpin.web.views.visible_stories", down)
    monkeypatch.setattr("tongpin.newsroom.api.list_stories", down)
    page = client_for("editor")
    page.raise_request_exception = False
    answer = page.get("/")
    assert answer.status_code == 503 and answer["Retry-After"]
    assert "数据库暂时不可用" in answer.content.decode()
    from django.test import Client

    machine = Client(raise_request_exception=False)
    api = machine.get("/api/v1/stories", HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}")
    assert api.status_code == 503
    assert api.json()["errors"][0]["code"] == "database_unavailable"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/", "/stories/?q=应急广播", "/api/v1/stories"])
def test_a_request_whose_connection_is_killed_mid_way_answers_503_and_the_next_one_works(path, users, token_for):
    """PostgreSQL only: the request's own backend is ended with pg_terminate_backend between two of its
    queries (as an administrator or a failover would), so the error is the driver's, not a stand-in."""
    from django.db import connection
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    import psycopg

    where = connection.settings_dict
    admin_dsn = f"host={where['HOST']} port={where['PORT'] or 5432} user={where['USER']} dbname=postgres"
    if path.startswith("/api/"):
        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}")
    else:
        client = Client(raise_request_exception=False)
        client.force_login(users["editor"])
    assert client.get(path).status_code == 200
    queries, killed = [], []

    def kill_at_the_third_query(execute, sql, params, many, context):
        queries.append(sql)
        if len(queries) == 3:
            with psycopg.connect(admin_dsn, autocommit=True) as admin:
                pid = connection.connection.info.backend_pid
                killed.append(admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(kill_at_the_third_query):
        answer = client.get(path)
    assert killed == [True]
    assert answer.status_code == 503 and answer["Retry-After"]
    if path.startswith("/api/"):
        assert answer.json()["errors"][0]["code"] == "database_unavailable"
    else:
        assert "数据库暂时不可用" in answer.content.decode()
    # Between requests a server runs close_old_connections (the request_started/finished signals), which drops
    # the broken connection; Django's test client unhooks it, so it is called here as the server would.
    from django.db import close_old_connections

    close_old_connections()
    assert client.get(path).status_code == 200  # the next request reconnects by itself


def test_a_waiting_alert_leads_the_home_page_of_whoever_can_decide_it(users, sender, client_for):
    """The station trial: the duty officer's home page showed newsroom counts and 暂无待办 while a warning waited."""
    import datetime as dt

    from django.utils import timezone

    from tongpin.alerts import release
    from tongpin.alerts.models import Alert, DutyShift
    from tongpin.core.audit import Actor

    from .test_duty_paging import pending_alert

    banner = 'id="waiting-alerts"'
    assert banner not in client_for("duty").get("/").content.decode()  # nothing waits: no banner
    alert = pending_alert(sender)
    Alert.objects.filter(pk=alert.pk).update(received_at=timezone.now() - dt.timedelta(minutes=6))
    page = client_for("duty").get("/").content.decode()
    assert banner in page
    top = page[page.index(banner) :]
    # first in the page's content: before the greeting, the newsroom counts and the to-do list
    assert page.index(banner) < page.index("您好") < page.index("我的待办")
    assert page.index("<main") < page.index(banner)
    assert "1 条预警等待确认" in top and "省气象台发布暴雨橙色预警" in top and "lv-edge-orange" in page
    assert "已等待 6" in top and 'href="/alerts/"' in top and f'href="/alerts/{alert.pk}/"' in top
    assert banner in client_for("admin").get("/").content.decode()  # the role decides: the banner shows
    for name in ("chief", "desk", "reporter"):  # off the roster they cannot decide it: no banner
        assert banner not in client_for(name).get("/").content.decode()
    now = timezone.now()
    DutyShift.objects.create(starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=8),
                             officer=users["duty"], chief=users["chief"])  # fmt: skip
    assert banner in client_for("chief").get("/").content.decode()  # on the shift (and paged): it shows
    # The page asks again by itself (htmx every 20 s): the answer is the banner alone, for those who may decide.
    slot = 'id="waiting-slot" hx-get="/" hx-trigger="every 20s"'
    assert slot in page and slot not in client_for("desk").get("/").content.decode()
    polled = client_for("duty").get("/", headers={"HX-Request": "true"}).content.decode()
    assert polled.lstrip().startswith('<section class="waiting-banner') and "您好" not in polled
    assert f'href="/alerts/{alert.pk}/"' in polled
    assert client_for("desk").get("/", headers={"HX-Request": "true"}).content.decode().strip() == ""
    release.confirm(Actor(user=users["duty"]), alert.pk)
    assert banner not in client_for("duty").get("/").content.decode()  # decided: gone
    assert client_for("duty").get("/", headers={"HX-Request": "true"}).content.decode().strip() == ""
    assert slot in client_for("duty").get("/").content.decode()  # still asking: the next one will show
