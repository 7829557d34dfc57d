import signal
import threading

from django.conf import settings
from django.core.management import call_command
from django.utils.translation import gettext_lazy

from tongpin.core import heap, periodic
from tongpin.core.commandbase import TongpinCommand
from tongpin.publishing.dispatcher import Dispatcher


class Command(TongpinCommand):
    help = gettext_lazy(
        "运行后台工作：投递队列（发布）和任务队列。可以在一台或多台机器上启动任意多个工作进程；"
        "被终止的进程手上的投递由其他进程接手。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue", action="append", dest="queues", help=gettext_lazy("只处理这些任务队列（可重复）")
        )
        parser.add_argument("--interval", type=float, default=0.5, help=gettext_lazy("空闲时两次查询任务之间的秒数"))
        parser.add_argument("--batch", action="store_true", help=gettext_lazy("队列清空后退出"))
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--deliveries-only", action="store_true", help=gettext_lazy("只发送投递"))
        only.add_argument("--tasks-only", action="store_true", help=gettext_lazy("只运行任务"))
        parser.add_argument(
            "--threads", type=int, default=None, help=gettext_lazy("发送线程数（TONGPIN_DELIVERY_THREADS）")
        )

    def handle(self, *args, queues=None, interval=0.5, batch=False, deliveries_only=False, tasks_only=False,
               threads=None, **options):  # fmt: skip
        runs = "deliveries" if deliveries_only else "deliveries,tasks"
        dispatcher = None if tasks_only else Dispatcher(threads=threads, runs=runs)
        heap.freeze_loaded()  # a full collection over the startup objects stalled the sends for 100–200 ms
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
        try:
            dispatcher.run(once=batch)
        finally:
            dispatcher.stop.set()  # the periodic thread beside the loop ends with it (a --batch run returns)
