from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks from every Tongpin queue (any number of workers, on one or many machines)."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="append", dest="queues", help="only these queues (repeatable)")
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="exit once the queues are empty")

    def handle(self, *args, queues=None, interval=0.5, batch=False, **options):
        names = queues or settings.TASK_QUEUES
        arguments = ["--queue-name", ",".join(names), "--interval", str(interval)]
        if batch:
            arguments.append("--batch")
        call_command("db_worker", *arguments)
