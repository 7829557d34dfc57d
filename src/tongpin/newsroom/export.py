"""CSV export of the story list a person sees: the same filters and the same partner scope as the page."""

import csv
from collections.abc import Iterator

from tongpin.core.models import User

from .listing import StoryFilters, load_rows, matching_ids

HEADER = ["id", "标题", "状态", "版本", "合作方", "标签", "更新时间", "摘要"]
EXPORT_LIMIT = 50_000
BATCH = 500


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: prefix it so it stays text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_rows(user: User, filters: StoryFilters) -> Iterator[str]:
    """CSV lines to stream. The filters are checked here, before the first byte goes out, so a bad filter
    is a clear 422 rather than a broken download."""
    ids = matching_ids(user, filters, EXPORT_LIMIT)
    return _lines(ids)


def _lines(ids: list[int]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(HEADER)  # BOM: Excel opens UTF-8 Chinese correctly
    for start in range(0, len(ids), BATCH):
        for row in load_rows(ids[start : start + BATCH]):
            yield writer.writerow(
                [
                    row.pk,
                    _safe(row.title),
                    row.status_label,
                    row.version,
                    _safe(row.partner_name or ""),
                    _safe("、".join(row.tags)),
                    row.updated_at.isoformat(timespec="seconds"),
                    _safe(row.summary),
                ]
            )
