"""Index storage per database: SQLite FTS5 on the embedded default, a tsvector table on PostgreSQL.

Both receive already segmented tokens (tongpin.core.text), so neither needs a Chinese parser, and both
answer with story ids in relevance order. `within` is an optional SQL subquery of allowed story ids
(partner scope and filters), so filtering is written once, in the ORM.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

FTS_TABLE = "newsroom_story_fts"
PG_TABLE = "newsroom_story_search"


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

    def upsert(self, rows: Iterable[IndexRow]) -> None:
        rows = list(rows)
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(r.story_id,) for r in rows])
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (%s, %s, %s)",
                [(r.story_id, " ".join(r.title_tokens), " ".join(r.body_tokens)) for r in rows],
            )

    def delete(self, story_ids: Iterable[int]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(i,) for i in story_ids])

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")

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

    def search(self, query: Query, within: tuple[str, Sequence] | None, limit: int, offset: int):
        where, params = f"{FTS_TABLE} MATCH %s", [self.expression(query)]
        if within is not None:
            where += f" AND rowid IN ({within[0]})"
            params += list(within[1])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {FTS_TABLE} WHERE {where}", params)
            total = cursor.fetchone()[0]
            # bm25 weights: a word in the title counts five times one in the body.
            cursor.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE {where} ORDER BY bm25({FTS_TABLE}, 5.0, 1.0), rowid DESC "
                "LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            ids = [row[0] for row in cursor.fetchall()]
        return ids, total


class PostgresText:
    create_sql = (
        f"CREATE TABLE IF NOT EXISTS {PG_TABLE} ("
        "story_id bigint PRIMARY KEY REFERENCES newsroom_story(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, "
        "document tsvector NOT NULL); "
        f"CREATE INDEX IF NOT EXISTS {PG_TABLE}_gin ON {PG_TABLE} USING gin(document)"
    )
    drop_sql = f"DROP TABLE IF EXISTS {PG_TABLE}"

    @staticmethod
    def _lexeme(token: str) -> str:
        return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"

    def vector(self, title: Sequence[str], body: Sequence[str]) -> str:
        """A tsvector literal with positions and weights (A = title, B = body); PostgreSQL caps positions."""
        positions: dict[str, list[str]] = defaultdict(list)
        for weight, tokens, start in (("A", title, 1), ("B", body, len(title) + 1)):
            for offset, token in enumerate(tokens):
                spots = positions[token]
                if len(spots) < 256:
                    spots.append(f"{min(start + offset, 16383)}{weight}")
        return " ".join(f"{self._lexeme(tok)}:{','.join(spots)}" for tok, spots in positions.items())

    def upsert(self, rows: Iterable[IndexRow]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {PG_TABLE} (story_id, document) VALUES (%s, %s::tsvector) "
                "ON CONFLICT (story_id) DO UPDATE SET document = EXCLUDED.document",
                [(r.story_id, self.vector(r.title_tokens, r.body_tokens)) for r in rows],
            )

    def delete(self, story_ids: Iterable[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {PG_TABLE} WHERE story_id = ANY(%s)", [list(story_ids)])

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {PG_TABLE}")

    def expression(self, query: Query) -> str:
        parts = []
        for word, subs in query.groups:
            if subs:
                inner = " & ".join(self._lexeme(s) for s in subs)
                parts.append(f"({self._lexeme(word)} | ({inner}))")
            else:
                parts.append(self._lexeme(word))
        return " & ".join(parts)

    def search(self, query: Query, within: tuple[str, Sequence] | None, limit: int, offset: int):
        where, params = "document @@ %s::tsquery", [self.expression(query)]
        if within is not None:
            where += f" AND story_id IN ({within[0]})"
            params += list(within[1])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {PG_TABLE} WHERE {where}", params)
            total = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT story_id FROM {PG_TABLE} WHERE {where} "
                "ORDER BY ts_rank(document, %s::tsquery) DESC, story_id DESC LIMIT %s OFFSET %s",
                [*params, params[0], limit, offset],
            )
            ids = [row[0] for row in cursor.fetchall()]
        return ids, total


def backend_for(vendor: str | None = None):
    vendor = vendor or connection.vendor
    if vendor == "sqlite":
        return SqliteFts()
    if vendor == "postgresql":
        return PostgresText()
    raise RuntimeError(f"full-text search is not available on {vendor}")
