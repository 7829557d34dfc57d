import json
import time

from django.db import close_old_connections
from django.utils.translation import gettext_lazy

from tongpin.core.commandbase import TongpinCommand
from tongpin.web import lanewatch as watcher


class Command(TongpinCommand):
    help = gettext_lazy(
        "检查预警通道的健康（投递进程、卡住的优先投递、暂停的预警渠道），出现新的或持续的问题以及恢复时呼叫值班台。"
        "请用 cron 或 systemd 定时器运行：没有投递进程时它照样工作。--loop N 每 N 秒检查一次。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help=gettext_lazy("每隔这么多秒检查一次，直到停止"))

    def handle(self, *args, loop=0, **options):
        while True:
            counts = watcher.watch()
            self.stdout.write(json.dumps(counts))
            if not loop:
                return
            close_old_connections()
            time.sleep(loop)
