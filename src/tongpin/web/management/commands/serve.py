"""`tongpin serve`: migrate, optionally load the demo, then run gunicorn (and one background worker)."""

import os
import shutil
import signal
import subprocess
import sys
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.utils.translation import gettext_lazy

from tongpin.core.commandbase import TongpinCommand


def _share_request_metrics() -> None:
    """Let the web processes add up their request-latency histograms for /metrics (prometheus-client's
    multiprocess mode): a fresh folder per run, set before prometheus-client is first imported."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") or "prometheus_client" in sys.modules:
        return  # chosen by whoever started us, or too late: each process then keeps its own
    folder = Path(settings.HOME) / "prometheus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _default_workers() -> int:
    return max(2, min(4, (os.cpu_count() or 1) * 2))


class Command(TongpinCommand):
    help = gettext_lazy("用生产级服务器（gunicorn）在配置的数据库上运行通品。")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help=gettext_lazy("监听的地址"))
        parser.add_argument("--port", type=int, default=8000, help=gettext_lazy("监听的端口"))
        parser.add_argument("--demo", action="store_true", help=gettext_lazy("载入演示数据（只一次）并列出登录账号"))
        parser.add_argument("--workers", type=int, default=_default_workers(), help=gettext_lazy("网页进程数"))
        parser.add_argument("--threads", type=int, default=4, help=gettext_lazy("每个网页进程的线程数"))
        parser.add_argument("--no-worker", action="store_true", help=gettext_lazy("不启动后台工作进程"))
        parser.add_argument(
            "--access-log", action="store_true", help=gettext_lazy("把每个请求记到标准输出（或 TONGPIN_ACCESS_LOG=1）")
        )

    def execute(self, *args, **options):
        _share_request_metrics()  # before the system checks import the URLs, and with them prometheus-client
        return super().execute(*args, **options)

    def handle(self, *args, host, port, demo, workers, threads, no_worker, access_log, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if demo:
            from tongpin.web.demo import DEMO_PASSWORD, load_demo

            created = load_demo()
            self.stdout.write("demo data loaded" if created else "demo data already present")
            self.stdout.write(f"demo logins (password for all: {DEMO_PASSWORD}):")
            from tongpin.core.roles import MACHINE_ROLES
            from tongpin.web.demo import DEMO_USERS

            for username, role, name, *_rest in DEMO_USERS:
                # Machine accounts cannot sign in to the web: say how they are used instead.
                note = "  (API only: create a token with `tongpin token create`)" if role in MACHINE_ROLES else ""
                self.stdout.write(f"  {username:<14} {role:<16} {name}{note}")
            if "TONGPIN_TWO_FACTOR_ROLES" not in os.environ:
                # A demo is for trying things out with the printed logins: no role must set up a second factor
                # (anyone still may, on 我的账户). Name the roles in TONGPIN_TWO_FACTOR_ROLES to try the policy.
                settings.TONGPIN_TWO_FACTOR_ROLES = []
                self.stdout.write("demo: two-step sign-in is optional for every role (TONGPIN_TWO_FACTOR_ROLES)")
        if host not in settings.ALLOWED_HOSTS and host not in ("0.0.0.0", "::"):  # noqa: S104
            settings.ALLOWED_HOSTS.append(host)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"Tongpin is running at http://{shown}:{port}/  (database: {engine})")
        self.stdout.flush()
        connections.close_all()  # nothing opened here may be inherited by the forked web processes
        worker = None if no_worker else self._start_worker()
        try:
            access_log = access_log or settings.TONGPIN_ACCESS_LOG
            self._run_gunicorn(host, port, workers, threads, access_log)
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()

    @staticmethod
    def _start_worker() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "tongpin", "worker"], env=os.environ.copy())

    @staticmethod
    def _run_gunicorn(host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
        from gunicorn.app.base import BaseApplication

        from tongpin.core import heap
        from tongpin.wsgi import application

        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

        class TongpinServer(BaseApplication):
            def load_config(self):
                for key, value in {
                    "bind": [bind],
                    "workers": workers,
                    "worker_class": "gthread",
                    "threads": threads,
                    "timeout": 60,
                    "graceful_timeout": 20,
                    "accesslog": "-" if access_log else None,
                    "errorlog": "-",
                    "forwarded_allow_ips": settings.TONGPIN_FORWARDED_ALLOW_IPS,
                    "limit_request_line": 8190,
                }.items():
                    self.cfg.set(key, value)
                if "control_socket_disable" in self.cfg.settings:
                    self.cfg.set("control_socket_disable", True)  # gunicorn ≥ 24: no socket in $HOME

            def load(self):
                return application

        import_module(settings.ROOT_URLCONF)  # the URLs and API schemas: loaded once here, not in every web process
        heap.freeze_loaded()  # before the fork: no full collection in a web process walks the startup objects
        TongpinServer().run()
