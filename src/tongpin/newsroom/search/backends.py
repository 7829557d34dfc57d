"""Index storage per database: SQLite FTS5 on the embedded default, a tsvector table on PostgreSQL.

Both receive already segmented tokens (tongpin.core.text), so neither needs a Chinese parser, and both
answer with story ids in relevance order. `within` is an optional SQL subquery of allowed story ids
(partner scope and filters), so filtering is written once, in the ORM.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db import DatabaseError, connection, transaction

FTS_TABLE = "newsroom_story_fts"
PG_TABLE = "newsroom_story_search"


# Relevance is ranked among the newest RANK_WINDOW matches, and matches are counted up to COUNT_CAP, so a
# query that matches most of a large pool still answers in milliseconds (docs/search.md has the figures).
RANK_WINDOW = 500
COUNT_CAP = 10_000
PG_COUNT_CAP = 1_000  # PostgreSQL's (PostgresText.count_cap)
PARTITION_IDS = 32_768  # story ids per partition of PostgreSQL's index table
# A word found in this many stories or more is "broad": ranking by it costs a scan of its whole posting
# list in SQLite, so such queries are ordered newest first instead.
BROAD_DOCS = 30_000


@dataclass(frozen=True)
class Hits:
    ids: list[int]
    total: int
    more: bool  # there are more than `total` matches


@dataclass(frozen=True)
class IndexRow:
    story_id: int
    title_tokens: Sequence[str]
    body_tokens: Sequence[str]


@dataclass(frozen=True)
class Query:
    """AND of groups; a group matches its word, or all of that word's sub-words together."""

    groups: Sequence[tuple[str, Sequence[str]]]


class SqliteFts:
    create_sql = (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        "title, body, tokenize = 'unicode61 remove_diacritics 0')"
    )
    drop_sql = f"DROP TABLE IF EXISTS {FTS_TABLE}"

    @staticmethod
    def prepare(row: IndexRow) -> tuple:
        # unicode61 splits on the spaces and drops punctuation tokens by itself.
        return (row.story_id, " ".join(row.title_tokens), " ".join(row.body_tokens))

    def write(self, prepared: Sequence[tuple], replace: bool = True) -> None:
        with connection.cursor() as cursor:
            if replace:
                cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(p[0],) for p in prepared])
            cursor.executemany(f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (%s, %s, %s)", prepared)

    def delete(self, story_ids: Iterable[int]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(i,) for i in story_ids])

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")

    def indexed(self) -> int:
        """How many stories the index holds (a rebuild's progress: it starts empty and commits each batch)."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {FTS_TABLE}")
            return cursor.fetchone()[0]

    def begin_rebuild(self) -> None:
        self.clear()

    def end_rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")

    @staticmethod
    def _quote(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    def expression(self, query: Query) -> str:
        parts = []
        for word, subs in query.groups:
            if subs:
                inner = " AND ".join(self._quote(s) for s in subs)
                parts.append(f"({self._quote(word)} OR ({inner}))")
            else:
                parts.append(self._quote(word))
        return " AND ".join(parts)

    def _capped_count(self, cursor, where: str, params: list, cap: int) -> int:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {where} LIMIT %s)", [*params, cap])
        return cursor.fetchone()[0]

    def _has_broad_word(self, cursor, query: Query) -> bool:
        """True when a word occurs in BROAD_DOCS stories or more (bm25 would read its whole posting list)."""
        for word in {w for w, subs in query.groups} | {s for _, subs in query.groups for s in subs}:
            key = f"tongpin:fts-broad:{word}"
            broad = cache.get(key)
            if broad is None:
                found = self._capped_count(cursor, f"{FTS_TABLE} MATCH %s", [self._quote(word)], BROAD_DOCS)
                broad = found >= BROAD_DOCS
                cache.set(key, broad, 600)
            if broad:
                return True
        return False

    def search(self, query: Query, within: tuple[str, Sequence] | None, limit: int, offset: int) -> Hits:
        where, params = f"{FTS_TABLE} MATCH %s", [self.expression(query)]
        if within is not None:
            where += f" AND rowid IN ({within[0]})"
            params += list(within[1])
        with connection.cursor() as cursor:
            total = self._capped_count(cursor, where, params, COUNT_CAP + 1)
            if self._has_broad_word(cursor, query):
                # A word in a large share of the pool: relevance says little, newest first says more.
                sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {where} ORDER BY rowid DESC LIMIT %s OFFSET %s"
                cursor.execute(sql, [*params, limit, offset])
            else:
                # FTS5 walks matches newest first for free; bm25 (title weighs 5, body 1) ranks that window.
                cursor.execute(
                    f"SELECT rowid FROM (SELECT rowid, bm25({FTS_TABLE}, 5.0, 1.0) AS score FROM {FTS_TABLE} "
                    f"WHERE {where} ORDER BY rowid DESC LIMIT %s) ORDER BY score, rowid DESC LIMIT %s OFFSET %s",
                    [*params, RANK_WINDOW, limit, offset],
                )
            ids = [row[0] for row in cursor.fetchall()]
        return Hits(ids, min(total, COUNT_CAP), total > COUNT_CAP)


MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
MAX_SPOTS = 16  # positions kept per lexeme (PostgreSQL keeps 256): the ranking below weighs the n-th mention
# of a word by 1/n², so the 17th adds 0.35 % of the first's weight, while every kept position costs time and heap
_POS_A = [f"{n}A" for n in range(MAX_POSITION + 1)]
_POS_B = [f"{n}B" for n in range(MAX_POSITION + 1)]


class PostgresText:
    """A tsvector table partitioned by ranges of PARTITION_IDS story ids, each partition with its own GIN index.

    A GIN index answers which rows hold a word by reading the word's whole posting list; partitions keep those
    lists short, so finding the newest matches costs what the newest partition holds, not the whole pool."""

    # No foreign key to newsroom_story: Django's flush truncates tables one by one and would refuse it.
    # Rows of deleted stories go with them through the post_delete signal (newsroom.apps).
    create_sql = (
        f"CREATE TABLE IF NOT EXISTS {PG_TABLE} ("
        "story_id bigint PRIMARY KEY, "
        "document tsvector NOT NULL) PARTITION BY RANGE (story_id); "
        f"CREATE INDEX IF NOT EXISTS {PG_TABLE}_gin ON {PG_TABLE} USING gin(document)"
    )
    index_sql = f"CREATE INDEX IF NOT EXISTS {PG_TABLE}_gin ON {PG_TABLE} USING gin(document)"
    drop_sql = f"DROP TABLE IF EXISTS {PG_TABLE}"

    @staticmethod
    def partition_name(number: int) -> str:
        return f"{PG_TABLE}_p{number}"

    def ensure_partitions(self, story_ids: Iterable[int]) -> None:
        """Create the partitions these ids fall in, and the next one ahead, so that a partition is usually
        made long before two writers could race for it (a race is caught: the loser finds it made)."""
        numbers = {i // PARTITION_IDS for i in story_ids}
        numbers |= {n + 1 for n in numbers}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n FROM unnest(%s::int[]) AS n WHERE to_regclass(%s || n::text) IS NULL",
                [sorted(numbers), f"{PG_TABLE}_p"],
            )
            missing = [row[0] for row in cursor.fetchall()]
        for number in missing:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f"CREATE TABLE IF NOT EXISTS {self.partition_name(number)} PARTITION OF {PG_TABLE} "
                        "FOR VALUES FROM (%s) TO (%s)",
                        [number * PARTITION_IDS, (number + 1) * PARTITION_IDS],
                    )
            except DatabaseError:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT to_regclass(%s)", [self.partition_name(number)])
                    if cursor.fetchone()[0] is None:
                        raise

    @staticmethod
    def _lexeme(token: str) -> str:
        if "'" in token or "\\" in token:
            token = token.replace("\\", "\\\\").replace("'", "''")
        return "'" + token + "'"

    @classmethod
    def vector(cls, title: Sequence[str], body: Sequence[str]) -> str:
        """A tsvector literal with positions and weights (A = title, B = body); PostgreSQL caps positions.

        The hot path of a rebuild (every token of every story): each position's text comes from a table made
        once, and the cap on positions per lexeme is applied once per lexeme at the end."""
        positions: defaultdict[str, list[str]] = defaultdict(list)
        tokens = [*title, *body]
        if len(tokens) > MAX_POSITION:  # rare: clamp positions as PostgreSQL would
            marks = [_POS_A[min(n, MAX_POSITION)] for n in range(1, len(title) + 1)]
            marks += [_POS_B[min(n, MAX_POSITION)] for n in range(len(title) + 1, len(tokens) + 1)]
        else:
            marks = _POS_A[1 : len(title) + 1] + _POS_B[len(title) + 1 : len(tokens) + 1]
        for token, mark in zip(tokens, marks, strict=True):
            positions[token].append(mark)
        lexeme = cls._lexeme
        return " ".join([
            f"{lexeme(tok)}:{','.join(spots if len(spots) <= MAX_SPOTS else spots[:MAX_SPOTS])}"
            for tok, spots in positions.items()
        ])  # fmt: skip

    @classmethod
    def prepare(cls, row: IndexRow) -> tuple:
        return (row.story_id, cls.vector(row.title_tokens, row.body_tokens))

    def write(self, prepared: Sequence[tuple], replace: bool = True) -> None:
        self.ensure_partitions(row[0] for row in prepared)
        with connection.cursor() as cursor:
            if not replace:  # a rebuild's bulk load: COPY, the fastest way in (no conflicts possible)
                with cursor.cursor.copy(f"COPY {PG_TABLE} (story_id, document) FROM STDIN") as copy:
                    for row in prepared:
                        copy.write_row(row)
                return
            cursor.executemany(
                f"INSERT INTO {PG_TABLE} (story_id, document) VALUES (%s, %s::tsvector) "
                "ON CONFLICT (story_id) DO UPDATE SET document = EXCLUDED.document",
                prepared,
            )

    def delete(self, story_ids: Iterable[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {PG_TABLE} WHERE story_id = ANY(%s)", [list(story_ids)])

    def begin_rebuild(self) -> None:
        """A full rebuild loads faster without the GIN index, which is built once at the end."""
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {PG_TABLE}")
            cursor.execute(f"DROP INDEX IF EXISTS {PG_TABLE}_gin")

    def end_rebuild(self) -> None:
        with connection.cursor() as cursor:
            # A GIN build sorts its entries in memory: the default 64 MB makes it spill and merge (2× slower).
            cursor.execute("SET maintenance_work_mem = '256MB'")
            try:
                cursor.execute(self.index_sql)
            finally:
                cursor.execute("RESET maintenance_work_mem")
            if connection.in_atomic_block:
                cursor.execute(f"ANALYZE {PG_TABLE}")
            else:
                # VACUUM also sets the visibility map after the bulk load (autovacuum would do it later, under load).
                cursor.execute(f"VACUUM (ANALYZE) {PG_TABLE}")

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {PG_TABLE}")

    def indexed(self) -> int:
        """How many stories the index holds (a rebuild's progress: it starts empty and commits each batch)."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {PG_TABLE}")
            return cursor.fetchone()[0]

    def rank_expression(self, query: Query) -> str:
        """What ranking weighs: every word of the query, OR-ed. `ts_rank` of the AND form also measures how close
        the words stand (every pair of positions: ~16 µs a story, most of a search's time); the OR form weighs
        each word's mentions by field, as bm25 does on SQLite, at a third of the cost."""
        words = [w for word, subs in query.groups for w in (word, *subs)]
        return " | ".join(self._lexeme(w) for w in dict.fromkeys(words))

    def expression(self, query: Query) -> str:
        parts = []
        for word, subs in query.groups:
            if subs:
                inner = " & ".join(self._lexeme(s) for s in subs)
                parts.append(f"({self._lexeme(word)} | ({inner}))")
            else:
                parts.append(self._lexeme(word))
        return " & ".join(parts)

    # Counting stops sooner than on SQLite: a count visits the heap row of every match (a GIN index answers
    # which rows, not whether they are visible), and 10,000 visits cost ~50 ms at 200,000 stories. Pages stop
    # at RANK_WINDOW anyway; the page says "more than 1,000".
    count_cap = PG_COUNT_CAP

    def search(self, query: Query, within: tuple[str, Sequence] | None, limit: int, offset: int) -> Hits:
        where, params = "document @@ %s::tsquery", [self.expression(query)]
        if within is not None:
            where += f" AND story_id IN ({within[0]})"
            params += list(within[1])
        with connection.cursor() as cursor:
            window, complete = self._newest(cursor, where, params, self.rank_expression(query))
            if complete:  # every match is in the window: that is the count
                total = len(window)
            else:  # the window is full; count on from its oldest story, stopping past the cap
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {PG_TABLE} WHERE {where} AND story_id < %s LIMIT %s) AS m",
                    [*params, window[-1][0], self.count_cap - len(window) + 1],
                )
                total = len(window) + cursor.fetchone()[0]
        # Relevance within the window (ts_rank, A/B weights), newest first among equals.
        ranked = sorted(window, key=lambda hit: (-hit[1], -hit[0]))
        ids = [story_id for story_id, _ in ranked[offset : offset + limit]]
        return Hits(ids, min(total, self.count_cap), total > self.count_cap)

    def _newest(self, cursor, where: str, params: list, rank: str) -> tuple[list[tuple[int, float]], bool]:
        """The newest RANK_WINDOW matches as (id, ts_rank), newest first, and whether they are all the matches.

        A GIN index has no order, and sorting every match of a common word by id reads each one from the heap
        (80,000 rows for a word in 40 % of 200,000 stories). So ranges of the newest ids are probed one after
        the other, each sized from the share of matches found so far, until the window is full; each probe
        ranks its own rows in the same statement (one heap visit per row)."""
        cursor.execute(f"SELECT min(story_id), max(story_id) FROM {PG_TABLE}")
        bottom, top = cursor.fetchone()
        if top is None:
            return [], True
        found: list[tuple[int, float]] = []
        # The share of stories that matched last time (a person paging, or the same search again) sizes the
        # first range, so most searches take one probe; a new one starts from a range of 2,000 ids.
        key = "tongpin:pg-share:" + hashlib.sha256(repr((where, params)).encode()).hexdigest()
        share = cache.get(key)
        span = int(RANK_WINDOW / share * 1.2) + 1 if share else RANK_WINDOW * 4
        high, looked = top, 0
        while True:
            low = high - span
            need = RANK_WINDOW - len(found)
            # Ranks only the rows kept, not every match in the range. A range wider than a partition is asked
            # only when matches are sparse; there, ordering by the bare key would let the planner walk the primary
            # key backwards filtering every row (it had read all of 1,000,000 to find none: 0.5 s), so the order
            # is an expression and the match (GIN) is ANDed with the range. In a narrow range of common words
            # the backward walk is the fastest plan and stays allowed.
            order = "story_id" if span <= PARTITION_IDS else "story_id + 0"
            cursor.execute(
                f"SELECT story_id, ts_rank(document, %s::tsquery) FROM (SELECT story_id, document FROM {PG_TABLE} "
                f"WHERE {where} AND story_id > %s AND story_id <= %s ORDER BY {order} DESC LIMIT %s) AS m "
                "ORDER BY story_id DESC",
                [rank, *params, low, high, need],
            )
            found += cursor.fetchall()
            looked += high - low
            if len(found) >= RANK_WINDOW or low < bottom:
                if found:
                    cache.set(key, len(found) / looked, 600)
                return found, len(found) < RANK_WINDOW
            # The next range should hold what is missing at the share seen so far (half again for luck).
            share = len(found) / looked
            span = int((RANK_WINDOW - len(found)) / share * 1.5) + 1 if share else looked * 8
            high = low


def backend_for(vendor: str | None = None):
    vendor = vendor or connection.vendor
    if vendor == "sqlite":
        return SqliteFts()
    if vendor == "postgresql":
        return PostgresText()
    raise RuntimeError(f"full-text search is not available on {vendor}")
