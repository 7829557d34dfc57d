import signal
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tongpin.core import periodic
from tongpin.publishing.dispatcher import Dispatcher


class Command(BaseCommand):
    help = (
        "Run background work: the delivery queue (publishing) and the task queues. Start any number of "
        "workers, on one or many machines; a killed worker's deliveries are picked up by the others."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="append", dest="queues", help="only these task queues (repeatable)")
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between task polls when idle")
        parser.add_argument("--batch", action="store_true", help="exit once the queues are empty")
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--deliveries-only", action="store_true", help="only send deliveries")
        only.add_argument("--tasks-only", action="store_true", help="only run tasks")
        parser.add_argument("--threads", type=int, default=None, help="sending threads (TONGPIN_DELIVERY_THREADS)")

    def handle(self, *args, queues=None, interval=0.5, batch=False, deliveries_only=False, tasks_only=False,
               threads=None, **options):  # fmt: skip
        runs = "deliveries" if deliveries_only else "deliveries,tasks"
        dispatcher = None if tasks_only else Dispatcher(threads=threads, runs=runs)
        if dispatcher is not None:
            # Escalations and expiries (tongpin.core.periodic) run beside the delivery loop.
            threading.Thread(
                target=periodic.run_forever, args=(dispatcher.stop,), name="tongpin-periodic", daemon=True
            ).start()
        if deliveries_only:
            self._deliveries_only(dispatcher, batch)
            return
        runner = None
        if dispatcher is not None:
            runner = threading.Thread(target=dispatcher.run, kwargs={"once": batch}, name="tongpin-deliveries")
            runner.start()
        try:
            names = queues or settings.TASK_QUEUES
            arguments = ["--queue-name", ",".join(names), "--interval", str(interval)]
            if batch:
                arguments.append("--batch")
            call_command("db_worker", *arguments)
        finally:
            if dispatcher is not None and runner is not None:
                dispatcher.request_stop()
                runner.join()

    @staticmethod
    def _deliveries_only(dispatcher: Dispatcher, batch: bool) -> None:
        def stop(signum, frame):
            dispatcher.request_stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        dispatcher.run(once=batch)
