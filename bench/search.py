"""Search benchmark: index N synthetic Chinese stories, then time a fixed set of queries.

    python bench/search.py --stories 200000 --json
    python bench/search.py --database postgresql --stories 200000 --json

Runs the real code paths: `reindex_all()` (normalise, segment, write the index) and `list_stories()`
(parse, rank, page, highlight), against a throw-away database (a temporary SQLite file, or a scratch
table set in the given PostgreSQL database that is emptied first; `--database postgresql` makes a database of its
own on 127.0.0.1:5432 and drops it afterwards unless `--keep`). The baseline answers the same queries
with a plain `LIKE '%…%'` scan over title and body. Also compares jieba with rjieba on the same text.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid

from corpus import Corpus

PG = "postgresql://postgres@127.0.0.1:5432"

QUERIES = [
    "应急广播",
    "森林防火",
    "地质灾害 预警",
    "高新区 招商引资",
    "暴雨",
    "群众转移",
    "安全生产",
    "直播带货",
    "應急管理",
    "防汛 演练 社区",
    "党建",
    "水库 水位",
    "危险化学品",
    "融媒体 中心",
    "台风 预警 发布",
    "考古",
    "消防",
    "气象 部门",
    "企业 隐患 排查",
    "合作 协议",
]


def setup_django(database_url: str | None) -> None:
    home = tempfile.mkdtemp(prefix="tongpin-bench-")
    os.environ["TONGPIN_HOME"] = home
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongpin.settings"
    if database_url:
        os.environ["TONGPIN_DATABASE_URL"] = database_url
    else:
        os.environ.pop("TONGPIN_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def create_stories(n: int, seed: int) -> None:
    from django.db import connection, transaction

    from tongpin.core.models import User
    from tongpin.newsroom.models import Story
    from tongpin.newsroom.search.backends import backend_for

    if connection.vendor == "postgresql":  # a scratch database: empty it in one statement
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE newsroom_story_search, newsroom_story_tags, newsroom_story_authors, "
                "newsroom_revision, newsroom_story CASCADE"
            )
    backend_for().clear()
    author, _ = User.objects.get_or_create(username="bench", defaults={"role": "reporter"})
    corpus = Corpus(seed)
    batch = []
    for i in range(n):
        title, body = corpus.story()
        batch.append(Story(title=title, body_text=body, body_html=f"<p>{body}</p>", created_by=author))
        if len(batch) == 5000 or i == n - 1:
            with transaction.atomic():
                Story.objects.bulk_create(batch)
            batch = []


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_queries(run, repeats: int) -> dict:
    timings = []
    for _ in range(repeats):
        for query in QUERIES:
            started = time.perf_counter()
            run(query)
            timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "queries": len(timings),
    }


def segmenter_comparison(seed: int) -> dict:
    import rjieba

    corpus = Corpus(seed)
    text = ""
    while len(text) < 2_000_000:
        text += corpus.story()[1]
    result = {"chars": len(text)}
    started = time.perf_counter()
    tokens = rjieba.cut_for_search(text)
    result["rjieba_chars_per_s"] = round(len(text) / (time.perf_counter() - started))
    try:
        import jieba
    except ImportError:
        return result
    jieba.setLogLevel(60)
    started = time.perf_counter()
    jieba.initialize()
    result["jieba_load_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    same = list(jieba.cut_for_search(text))
    result["jieba_chars_per_s"] = round(len(text) / (time.perf_counter() - started))
    result["identical_tokens"] = same == tokens
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default=None,
                        help="postgresql: a scratch database of its own (dropped afterwards unless --keep)")
    parser.add_argument("--database-url", default=os.environ.get("TONGPIN_DATABASE_URL"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-like", action="store_true", help="skip the LIKE baseline (minutes at 1,000,000)")
    parser.add_argument("--no-segmenters", action="store_true", help="skip the jieba/rjieba comparison")
    parser.add_argument("--keep", action="store_true", help="leave the stories in PostgreSQL for a closer look")
    parser.add_argument("--queries-only", action="store_true",
                        help="with --reuse: time the queries against the index already built (no rebuild)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the stories already in the database (kept by --keep) and only re-index them")
    args = parser.parse_args()

    scratch = None
    if args.database == "sqlite":
        args.database_url = None
    elif args.database == "postgresql":
        import psycopg

        scratch = f"tongpin_bench_search_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=2) as admin:
            admin.execute(f'CREATE DATABASE "{scratch}"')
        args.database_url = f"{PG}/{scratch}"
    try:
        run(args)
    finally:
        if scratch and not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        elif scratch:
            print(f"kept: {args.database_url}", file=sys.stderr)


def run(args) -> None:
    setup_django(args.database_url)
    from django.db import connection
    from django.db.models import Q

    from tongpin.core.models import User
    from tongpin.newsroom.listing import StoryFilters, list_stories
    from tongpin.newsroom.models import Story
    from tongpin.newsroom.search.indexing import reindex_all

    started = time.perf_counter()
    if not (args.reuse and Story.objects.count() >= args.stories):
        create_stories(args.stories, args.seed)
    generate_s = time.perf_counter() - started

    started = time.perf_counter()
    if args.reuse and args.queries_only:
        from tongpin.newsroom.search.backends import backend_for

        indexed = backend_for().indexed()
    else:
        indexed = reindex_all()
    index_s = time.perf_counter() - started

    user, _ = User.objects.get_or_create(username="bench-editor", defaults={"role": "editor"})

    def fts(query: str) -> None:
        page = list_stories(user, StoryFilters(q=query), 1, 20)
        assert page.total >= 0

    def like(query: str) -> None:
        condition = Q()
        for word in query.split():
            condition &= Q(title__contains=word) | Q(body_text__contains=word)
        matches = Story.objects.filter(condition)
        matches.count()
        list(matches.order_by("-updated_at")[:20].values_list("pk", "title"))

    fts("预热")
    result = {
        "database": connection.vendor,
        "stories": indexed,
        "avg_chars": round(sum(len(t) for t in Story.objects.values_list("body_text", flat=True)[:2000]) / 2000)
        if indexed >= 2000
        else None,
        "generate_s": round(generate_s, 1),
        "index_s": round(index_s, 2),
        "index_stories_per_s": None if args.queries_only else round(indexed / index_s),
        "fts": time_queries(fts, args.repeats),
        "like_baseline": time_queries(like, max(1, args.repeats // 5)) if not args.no_like else None,
        "load_1min": round(os.getloadavg()[0], 2),
    }
    result["p50_ms"], result["p95_ms"] = result["fts"]["p50_ms"], result["fts"]["p95_ms"]
    if not args.no_segmenters:
        result["segmenters"] = segmenter_comparison(args.seed)
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, ensure_ascii=False, indent=2))
    sys.stdout.flush()
    if connection.vendor == "postgresql" and not args.keep:
        with connection.cursor() as cursor:  # the scratch rows go in one statement, not one signal per story
            cursor.execute(
                "TRUNCATE newsroom_story_search, newsroom_story_tags, newsroom_story_authors, "
                "newsroom_revision, newsroom_story CASCADE"
            )
        User.objects.filter(username__startswith="bench").delete()


if __name__ == "__main__":
    sys.exit(main())
