import json
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from tongpin.web import lanewatch as watcher


class Command(BaseCommand):
    help = (
        "Check the warning lane's health (delivery workers, stuck priority deliveries, paused warning channels) and "
        "page the duty desk on a new or lasting problem and on recovery. Run it from cron or a systemd timer: it "
        "works when no worker is alive. --loop N keeps checking every N seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help="check every this many seconds until stopped")

    def handle(self, *args, loop=0, **options):
        while True:
            counts = watcher.watch()
            self.stdout.write(json.dumps(counts))
            if not loop:
                return
            close_old_connections()
            time.sleep(loop)
