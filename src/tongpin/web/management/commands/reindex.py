import time

from django.core.management.base import BaseCommand

from tongpin.newsroom.search.indexing import reindex_all


class Command(BaseCommand):
    help = "Rebuild the full-text search index of all stories."

    def handle(self, *args, **options):
        started = time.perf_counter()
        count = reindex_all()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"indexed {count} stories in {elapsed:.1f}s")
