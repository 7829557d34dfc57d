"""The story pool as a list: filters, full-text search and paging, always inside the user's scope."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.dates import day_bounds
from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.core.models import User
from tongpin.partners.scope import partner_scope

from .models import Story, StoryStatus
from .search.backends import RANK_WINDOW, Query
from .search.querying import Snippet, parse_query, ranked_ids, snippet
from .stories import visible_stories

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000  # past any real pool; keeps LIMIT/OFFSET within what databases accept


@dataclass
class StoryFilters:
    q: str = ""
    partner: str = ""  # slug
    status: str = ""
    author: str = ""  # username
    tag: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def narrowing(self) -> bool:
        return any([self.partner, self.status, self.author, self.tag, self.date_from, self.date_to])


@dataclass
class StoryRow:
    """What a list shows of a story: read straight from rows, because building full model instances
    (and prefetching tags) cost more than the search itself."""

    pk: int
    title: str
    summary: str
    status: str
    version: int
    updated_at: dt.datetime
    partner_slug: str | None
    partner_name: str | None
    tags: list[str] = field(default_factory=list)
    body_text: str = field(default="", repr=False)
    snippet: Snippet | None = field(default=None, repr=False)  # a search's highlighted title and excerpt

    @property
    def status_label(self) -> str:
        return str(StoryStatus(self.status).label)


ROW_FIELDS = (
    "pk",
    "title",
    "summary",
    "status",
    "version",
    "updated_at",
    "partner__slug",
    "partner__short_name",
    "partner__name",
    "body_text",
)


def load_rows(ids: list[int]) -> list[StoryRow]:
    """Rows for these story ids, in the order given."""
    by_id = {}
    for pk, title, summary, status, version, updated, slug, short, name, body in Story.objects.filter(
        pk__in=ids
    ).values_list(*ROW_FIELDS):
        by_id[pk] = StoryRow(pk, title, summary, status, version, updated, slug, short or name, body_text=body)
    through = Story.tags.through.objects.filter(story_id__in=ids).order_by("tag__name")
    for story_id, tag in through.values_list("story_id", "tag__name"):
        by_id[story_id].tags.append(tag)
    return [by_id[i] for i in ids if i in by_id]


@dataclass
class StoryPage:
    stories: list[StoryRow]
    total: int
    page: int
    page_size: int
    more: bool = False  # more matches than `total` says (counting stops at COUNT_CAP)
    ranked: bool = False  # a search: pages stop at RANK_WINDOW

    @property
    def snippets(self) -> dict[int, Snippet]:
        return {story.pk: story.snippet for story in self.stories if story.snippet is not None}

    @property
    def rows(self) -> list[tuple[StoryRow, Snippet | None]]:
        return [(story, story.snippet) for story in self.stories]

    @property
    def pages(self) -> int:
        reachable = min(self.total, RANK_WINDOW) if self.ranked else self.total
        return max(1, -(-reachable // self.page_size))


def apply_filters(stories: QuerySet[Story], filters: StoryFilters) -> QuerySet[Story]:
    if filters.status and filters.status not in StoryStatus.values:
        raise ValidationFailed(FieldError("invalid_status", _("未知的稿件状态。"), "status"))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationFailed(FieldError("invalid_range", _("开始日期不能晚于结束日期。"), "date_from"))
    if filters.partner:
        stories = stories.filter(partner__slug=filters.partner)
    if filters.status:
        stories = stories.filter(status=filters.status)
    if filters.author:
        stories = stories.filter(authors__username=filters.author)
    if filters.tag:
        stories = stories.filter(tags__name=filters.tag)
    return stories.filter(**day_bounds("updated_at", filters.date_from, filters.date_to))


def _search_scope(user: User, filters: StoryFilters) -> tuple[QuerySet[Story], Query | None, bool]:
    """The filtered, scoped stories; the parsed query (None for a plain list); whether scope narrows."""
    scoped = apply_filters(visible_stories(user), filters)
    query = parse_query(filters.q) if filters.q.strip() else None
    # A liaison's scope always narrows; staff without filters search the whole index.
    narrowing = filters.narrowing() or not partner_scope(user).everything
    return scoped, query, narrowing


def _searchable(user: User, filters: StoryFilters, query: Query | None) -> bool:
    """False when the text holds no searchable word, or the user may see no story at all."""
    return not (filters.q.strip() and query is None) and roles.can(user, roles.STORY_VIEW)


def list_stories(user: User, filters: StoryFilters, page: int = 1, page_size: int = 20) -> StoryPage:
    """Newest first without a query; by relevance, with highlighted snippets, with one."""
    page = min(max(1, page), MAX_PAGE)
    page_size = min(max(1, page_size), MAX_PAGE_SIZE)
    scoped, query, narrowing = _search_scope(user, filters)
    if not _searchable(user, filters, query):
        return StoryPage([], 0, page, page_size)
    if query is None:
        total = scoped.count()
        ids = list(scoped.values_list("pk", flat=True)[(page - 1) * page_size : page * page_size])
        return StoryPage(load_rows(ids), total, page, page_size)
    offset = (page - 1) * page_size
    if offset >= RANK_WINDOW:
        raise ValidationFailed(
            FieldError(
                "page_out_of_range",
                _("检索结果只能翻到前 %(n)d 篇，请加筛选条件缩小范围。") % {"n": RANK_WINDOW},
                "page",
            )
        )
    hits = ranked_ids(query, scoped, narrowing, page_size, offset)
    stories = load_rows(hits.ids)
    for story in stories:
        story.snippet = snippet(query, story.title, story.body_text)
    return StoryPage(stories, hits.total, page, page_size, more=hits.more, ranked=True)


def matching_ids(user: User, filters: StoryFilters, limit: int) -> list[int]:
    """Every story id the list would show, in its order (searches stop at the ranking window)."""
    scoped, query, narrowing = _search_scope(user, filters)
    if not _searchable(user, filters, query):
        return []
    if query is None:
        return list(scoped.values_list("pk", flat=True)[:limit])
    return ranked_ids(query, scoped, narrowing, min(limit, RANK_WINDOW), 0).ids
