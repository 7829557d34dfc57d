import datetime as dt

import pytest
from django.utils import timezone

from tongpin.newsroom.listing import StoryFilters, list_stories
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.newsroom.search.indexing import reindex_all

from .conftest import new_story

pytestmark = pytest.mark.django_db


def titles(page):
    return [s.title for s in page.stories]


@pytest.fixture
def pool(users, partners):
    r = users["reporter"]
    stories = {
        "fire": new_story(
            r,
            title="森林防火进入紧要期",
            body_html="<p>秋冬季林区干燥，野外用火一律禁止。</p>",
            partner="em",
            tags=["森林防火"],
        ),
        "flood": new_story(
            r,
            title="汛期山洪防御要点",
            body_html="<p>收到暴雨预警后及早转移，警惕山洪和泥石流。</p>",
            partner="em",
            tags=["防汛"],
        ),
        "trad": new_story(r, title="應急廣播進山村", body_html="<p>預警信息直達農戶，村民及時轉移。</p>", partner="em"),
        "zone": new_story(
            users["editor"],
            title="高新区招商引资",
            body_html="<p>园区重点项目加快建设，森林防火工作同步推进。</p>",
            partner="zone",
            tags=["招商"],
        ),
        "wide": new_story(r, title="ＡＩ应用大赛", body_html="<p>全角字母也能搜到。</p>"),
    }
    Story.objects.filter(pk__in=[s.pk for s in stories.values()]).update(status=StoryStatus.PUBLISHED)
    return stories


def search(user, **filters):
    return list_stories(user, StoryFilters(**filters))


def test_finds_chinese_words(pool, users):
    page = search(users["editor"], q="山洪")
    assert titles(page) == ["汛期山洪防御要点"]


def test_simplified_query_finds_traditional_text_and_back(pool, users):
    assert titles(search(users["editor"], q="应急广播")) == ["應急廣播進山村"]
    assert titles(search(users["editor"], q="預警")) == ["汛期山洪防御要点", "應急廣播進山村"] or set(
        titles(search(users["editor"], q="預警"))
    ) == {"汛期山洪防御要点", "應急廣播進山村"}


def test_fullwidth_and_case_fold(pool, users):
    assert titles(search(users["editor"], q="ai")) == ["ＡＩ应用大赛"]


def test_all_words_must_match(pool, users):
    assert titles(search(users["editor"], q="森林防火 园区")) == ["高新区招商引资"]


def test_title_match_ranks_first(pool, users):
    page = search(users["editor"], q="森林防火")
    assert titles(page)[0] == "森林防火进入紧要期" and len(page.stories) == 2


def test_snippet_marks_query_words_in_original_script(pool, users):
    page = search(users["editor"], q="预警")
    by_title = {s.title: page.snippets[s.pk] for s in page.stories}
    assert "<mark>預警</mark>" in by_title["應急廣播進山村"].excerpt
    assert "<mark>" in by_title["汛期山洪防御要点"].excerpt


def test_snippet_escapes_html(users, partners):
    new_story(users["reporter"], title="标题<b>", body_html="<p>防汛 &lt;script&gt;</p>")
    page = search(users["reporter"], q="防汛")
    assert "&lt;script&gt;" in page.snippets[page.stories[0].pk].excerpt


def test_filters_partner_tag_author_status_dates(pool, users):
    editor = users["editor"]
    assert titles(search(editor, q="森林防火", partner="zone")) == ["高新区招商引资"]
    assert titles(search(editor, tag="防汛")) == ["汛期山洪防御要点"]
    assert titles(search(editor, author="editor")) == ["高新区招商引资"]
    assert search(editor, status="draft").total == 0
    Story.objects.filter(pk=pool["fire"].pk).update(updated_at=timezone.now() - dt.timedelta(days=40))
    recent = search(editor, q="森林防火", date_from=timezone.localdate() - dt.timedelta(days=7))
    assert titles(recent) == ["高新区招商引资"]


def test_liaison_search_never_returns_other_partners(pool, users):
    page = search(users["liaison_em"], q="森林防火")
    assert titles(page) == ["森林防火进入紧要期"]
    assert page.total == 1
    assert search(users["liaison_zone"], q="山洪").total == 0


def test_liaison_search_excludes_drafts(users, partners):
    new_story(users["reporter"], title="防汛草稿", partner="em")
    assert search(users["liaison_em"], q="防汛").total == 0


def test_query_without_words_returns_nothing(pool, users):
    assert search(users["editor"], q="，。！").total == 0


def test_search_syntax_characters_are_plain_text(pool, users):
    for q in ['"', "NEAR(", "a OR", "*", "'", "\\", "山洪 AND NOT"]:
        search(users["editor"], q=q)  # must not raise


def test_edit_updates_index(pool, users):
    from tongpin.core.audit import Actor
    from tongpin.newsroom.stories import StoryInput, update_story

    Story.objects.filter(pk=pool["flood"].pk).update(status=StoryStatus.DRAFT)
    update_story(Actor(users["reporter"]), pool["flood"].pk, StoryInput.of(title="台风防御要点"), 1)
    assert search(users["editor"], q="台风").total == 1
    assert "汛期山洪防御要点" not in titles(search(users["editor"], q="汛期"))


def test_reindex_rebuilds(pool, users):
    assert reindex_all(batch_size=2) == 5
    assert titles(search(users["editor"], q="山洪")) == ["汛期山洪防御要点"]


def test_paging(users, partners):
    for i in range(25):
        new_story(users["reporter"], title=f"防汛第{i}篇")
    first = list_stories(users["reporter"], StoryFilters(q="防汛"), page=1, page_size=10)
    third = list_stories(users["reporter"], StoryFilters(q="防汛"), page=3, page_size=10)
    assert first.total == 25 and len(first.stories) == 10 and len(third.stories) == 5 and first.pages == 3


def test_parallel_reindex_gives_the_same_results(pool, users):
    before = titles(search(users["editor"], q="森林防火"))
    assert reindex_all(batch_size=2, workers=2) == 5
    assert titles(search(users["editor"], q="森林防火")) == before
    assert titles(search(users["editor"], q="应急广播")) == ["應急廣播進山村"]


def test_the_maintenance_page_follows_the_rebuild_to_its_end(pool, users, client_for):
    from django_tasks_db.models import DBTaskResult

    from tongpin.newsroom.tasks import rebuild_search_index

    admin = client_for("admin")
    assert "最近一次重建" not in admin.get("/maintenance/").content.decode()  # never asked for
    assert admin.post("/maintenance/").status_code == 302
    queued = admin.get("/maintenance/").content.decode()
    assert "正在等待后台任务进程开始" in queued and 'hx-trigger="every 2s"' in queued  # polls while on its way

    # while running, the page counts what the index holds so far (a rebuild starts empty)
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now())
    running = admin.get("/maintenance/", HTTP_HX_REQUEST="true").content.decode()
    assert running.startswith('<div id="reindex-status"') and "已索引 5 / 5 篇" in running

    # what `tongpin worker` does with it (its command closes the connection, which a test transaction can't take)
    task = DBTaskResult.objects.get()
    task.claim("test-worker")
    task.set_successful(rebuild_search_index.call())
    done = admin.get("/maintenance/", HTTP_HX_REQUEST="true").content.decode()
    assert "已完成" in done and "重建了 5 篇稿件的检索索引" in done and "hx-trigger" not in done
    assert titles(search(users["editor"], q="山洪")) == ["汛期山洪防御要点"]


def test_the_newest_window_and_the_capped_count_match_ranking_every_match(db, monkeypatch):
    """Small window and cap, index rows far apart in id (on PostgreSQL: in several index partitions, with gaps
    the probes must cross): the page holds the window's best by relevance, newest first among equals, and the
    count stops at the cap — the same as ranking and counting every match would give."""
    from django.db import connection

    from tongpin.newsroom.search import backends
    from tongpin.newsroom.search.querying import parse_query
    from tongpin.newsroom.search.tokens import index_row

    monkeypatch.setattr(backends, "RANK_WINDOW", 4)
    monkeypatch.setattr(backends.PostgresText, "count_cap", 6)
    monkeypatch.setattr(backends, "COUNT_CAP", 6)
    backend = backends.backend_for()
    matching = [50, 40_000, 40_001, 70_000, 100_000, 100_003, 131_000, 140_000]
    rows = []
    for n, pk in enumerate(matching):
        body = "防汛演练在社区举行。" if n % 3 else "防汛演练，防汛物资，防汛队伍，防汛。"
        rows.append(index_row(pk, f"第{n}条", "", body, []))
        rows.append(index_row(pk + 7, f"无关{n}", "", "文化遗址考古。", []))
    backend.write([backend.prepare(row) for row in rows])
    newest = sorted(matching, reverse=True)[:4]
    hits = backend.search(parse_query("防汛"), None, 10, 0)
    assert sorted(hits.ids, reverse=True) == newest  # the window: the four newest matches
    assert hits.total == 6 and hits.more  # eight match; counting stopped past the cap
    heavy = [pk for pk in newest if matching.index(pk) % 3 == 0]
    assert hits.ids[: len(heavy)] == sorted(heavy, reverse=True)  # more mentions rank first
    assert backend.search(parse_query("考古"), None, 10, 0).total == 6
    few = backend.search(parse_query("队伍"), None, 10, 0)
    assert few.total == 3 and not few.more and few.ids == [131_000, 70_000, 50]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'newsroom_story_search'::regclass")
            assert cursor.fetchone()[0] >= 5  # ids 50 … 140,007 fall in five ranges of 32,768


def test_postgresql_ranks_by_each_words_mentions_and_keeps_sixteen_positions_a_word():
    """Ranking weighs every query word OR-ed (sub-words too), not how close the words stand — the AND form's
    pairwise distances cost most of a search's time; a word's 17th mention would add 0.35 % of the first's weight,
    so the index keeps sixteen positions a word."""
    from tongpin.newsroom.search.backends import MAX_SPOTS, PostgresText
    from tongpin.newsroom.search.querying import parse_query

    backend = PostgresText()
    query = parse_query("防汛 地质灾害")
    assert backend.expression(query).count("&") >= 1  # matching still needs every word
    ranked = backend.rank_expression(query).split(" | ")
    assert "&" not in backend.rank_expression(query)
    lexemes = set(
        backend.expression(query).replace("(", " ").replace(")", " ").replace("&", " ").replace("|", " ").split()
    )
    assert ranked[:2] == ["'防汛'", "'地质灾害'"] and set(ranked) == lexemes
    vector = PostgresText.vector(["防汛"], ["防汛"] * 40)
    assert MAX_SPOTS == 16 and vector == "'防汛':" + ",".join(["1A", *[f"{n}B" for n in range(2, 17)]])


def test_postgresql_probes_wider_than_a_partition_do_not_walk_the_key_backwards(db):
    """A search whose words are rarer together than apart probes ever wider ranges; past a partition's width the
    probe orders by an expression so the planner ANDs the match with the range instead of filtering every row on a
    backwards walk of the primary key (0.5 s at 1,000,000 stories to find nothing)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tongpin.newsroom.search import backends
    from tongpin.newsroom.search.querying import parse_query
    from tongpin.newsroom.search.tokens import index_row

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's probes")
    backend = backends.backend_for()
    rows = [index_row(pk, "防汛", "", "防汛演练。", []) for pk in (50, 70_000, 140_000)]
    backend.write([backend.prepare(row) for row in rows])
    with CaptureQueriesContext(connection) as seen:
        hits = backend.search(parse_query("防汛 考古"), None, 10, 0)
    assert hits.total == 0
    probes = [q["sql"] for q in seen.captured_queries if "ts_rank" in q["sql"]]
    assert len(probes) >= 2 and "story_id + 0" not in probes[0]  # the newest, narrow range: the key's order
    assert "story_id + 0" in probes[-1]  # the last, down to the first story, is wider than a partition
