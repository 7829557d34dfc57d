"""`tongpin reindex [--json]`: rebuild the full-text search index of every story."""

import time

from django.utils.translation import gettext_lazy

from tongpin.core.commandbase import TongpinCommand
from tongpin.newsroom.search.indexing import reindex_all


class Command(TongpinCommand):
    help = gettext_lazy("重建全部稿件的全文检索索引。")

    def add_arguments(self, parser):
        self.add_json_flag(parser)

    def handle(self, *args, json=False, **options):
        started = time.perf_counter()
        count = reindex_all()
        elapsed = time.perf_counter() - started
        self.report(
            {"stories": count, "seconds": round(elapsed, 3)},
            [f"indexed {count} stories in {elapsed:.1f}s"],
            as_json=json,
        )
