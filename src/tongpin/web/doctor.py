"""`tongpin check` (also `tongpin doctor`): is this installation fit to run? One screen, one line per thing an
operator would otherwise check by hand — configuration, database, delivery workers, the Chinese font of PDFs and
charts, the speech engine of radio warnings, free disk space — each ok, warn or fail (docs/operations.md).

Every probe is a plain function returning Findings, so tests replace the ones that look at the machine (fonts,
espeak-ng, disk) and the command stays a thin printer.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tongpin.config import env

OK, WARN, FAIL = "ok", "warn", "fail"
SC_FONT = "Noto Sans CJK SC"  # the face analytics/charts.py names first; WeasyPrint finds it through fontconfig
GIB = 1024**3


@dataclass
class Finding:
    group: str  # configuration, database, workers, fonts, tts, disk
    code: str  # stable, for --json readers: "debug", "secret_key", "migrations", …
    status: str  # ok, warn or fail
    label: str  # what was checked, in the active language
    detail: str  # what was found and, when not ok, what to do

    def as_dict(self) -> dict:
        return asdict(self)


def group_labels() -> dict[str, str]:
    return {
        "configuration": _("配置"),
        "database": _("数据库"),
        "workers": _("投递工作进程"),
        "fonts": _("字体"),
        "tts": _("语音合成"),
        "disk": _("磁盘空间"),
    }


def status_label(status: str) -> str:
    return {OK: pgettext("自检", "正常"), WARN: pgettext("自检", "警告"), FAIL: pgettext("自检", "失败")}[status]


# -- configuration ---------------------------------------------------------------------------------------------


def configuration(deploy: bool = False) -> list[Finding]:
    found = []
    variables = sorted(name for name, value in os.environ.items() if name.startswith("TONGPIN_") and value.strip())
    found.append(
        Finding(
            "configuration", "settings", OK, _("设置"),
            _("已读取（设置了 %(n)d 个 TONGPIN_ 环境变量）") % {"n": len(variables)},
        )
    )
    if settings.DEBUG:
        found.append(Finding("configuration", "debug", WARN, _("调试模式"), _("已开启：生产环境请去掉 TONGPIN_DEBUG")))
    else:
        found.append(Finding("configuration", "debug", OK, _("调试模式"), _("关闭")))
    hosts = list(settings.ALLOWED_HOSTS)
    if "*" in hosts:
        detail = _("接受任何主机名（*）：请在 TONGPIN_ALLOWED_HOSTS 中写明")
        found.append(Finding("configuration", "allowed_hosts", WARN, _("允许的主机名"), detail))
    else:
        found.append(Finding("configuration", "allowed_hosts", OK, _("允许的主机名"), ", ".join(hosts) or "—"))
    found.append(secret_key())
    found.append(mail())
    found.extend(system_checks(deploy))
    return found


def secret_key() -> Finding:
    label = _("密钥")
    if env.is_set("TONGPIN_SECRET_KEY"):
        return Finding("configuration", "secret_key", OK, label, _("由 TONGPIN_SECRET_KEY 提供"))
    path = Path(settings.HOME) / "secret_key"
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return Finding("configuration", "secret_key", FAIL, label, _("找不到密钥文件 %(p)s") % {"p": path})
    if mode & 0o077:
        detail = _("密钥文件 %(p)s 的权限为 %(m)s，其他用户可读：运行 chmod 600 %(p)s")
        detail = detail % {"p": path, "m": f"{mode:04o}"}
        return Finding("configuration", "secret_key", FAIL, label, detail)
    return Finding("configuration", "secret_key", OK, label, _("%(p)s（权限 %(m)s）") % {"p": path, "m": f"{mode:04o}"})


def mail() -> Finding:
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2] if "." in settings.EMAIL_BACKEND else settings.EMAIL_BACKEND
    label = _("邮件")
    if backend == "smtp":
        where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
        return Finding("configuration", "mail", OK, label, _("经 SMTP 服务器 %(h)s 发送") % {"h": where})
    if settings.TONGPIN_NOTIFY_EMAIL and backend in {"console", "dummy", "locmem"}:
        detail = _("通知邮件已开启，但邮件不会真正发出（%(b)s）：请设置 TONGPIN_EMAIL_URL") % {"b": backend}
        return Finding("configuration", "mail", WARN, label, detail)
    return Finding("configuration", "mail", OK, label, _("邮件后端：%(b)s") % {"b": backend})


def system_checks(deploy: bool) -> list[Finding]:
    """Django's own system checks (the old `check` command), without the database ones (below)."""
    from django.core import checks

    messages = checks.run_checks(include_deployment_checks=deploy)
    errors = [m for m in messages if m.level >= checks.ERROR and not m.is_silenced()]
    warnings = [m for m in messages if checks.WARNING <= m.level < checks.ERROR and not m.is_silenced()]
    label = _("Django 系统检查")
    if not errors and not warnings:
        return [Finding("configuration", "system_checks", OK, label, _("无问题"))]
    found = []
    for message in errors + warnings:
        status = FAIL if message.level >= checks.ERROR else WARN
        found.append(Finding("configuration", "system_checks", status, label, f"{message.id}: {message.msg}"))
    return found


# -- database --------------------------------------------------------------------------------------------------


def database() -> list[Finding]:
    from django.db import connection
    from django.db.utils import Error as DatabaseError

    label = _("连接")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return [Finding("database", "reachable", FAIL, label, _("无法连接：%(e)s") % {"e": first})]
    found = [Finding("database", "reachable", OK, label, _("可以连接"))]
    found.append(Finding("database", "engine", OK, _("类型"), _engine(connection)))
    found.append(_migrations(connection))
    return found


def _engine(connection) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} — {connection.settings_dict['NAME']}"
    from tongpin.cli import _describe

    version = ""
    if connection.vendor == "postgresql":
        major, rest = divmod(connection.pg_version, 10000)
        version = f" {major}.{rest}"
    return f"{connection.display_name}{version} — {_describe(connection.settings_dict)}"


def _migrations(connection) -> Finding:
    from django.db.migrations.executor import MigrationExecutor

    label = _("数据库迁移")
    if "django_migrations" not in connection.introspection.table_names():
        return Finding("database", "migrations", FAIL, label, _("数据库还没有表：运行 tongpin migrate"))
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        detail = _("%(n)d 个迁移尚未应用：运行 tongpin migrate（tongpin serve 启动时也会运行）") % {"n": len(plan)}
        return Finding("database", "migrations", FAIL, label, detail)
    return Finding("database", "migrations", OK, label, _("已全部应用"))


def workers(database_ok: bool) -> list[Finding]:
    label = _("心跳")
    if not database_ok:
        return [Finding("workers", "heartbeats", FAIL, label, _("数据库不可用，无法查看"))]
    from django.db.utils import Error as DatabaseError

    from tongpin.publishing.workers import alive

    try:
        senders = [w for w in alive(timezone.now()) if "deliveries" in w.runs.split(",")]
    except DatabaseError:  # no tables yet: said under 数据库
        return [Finding("workers", "heartbeats", FAIL, label, _("数据库不可用，无法查看"))]
    if not senders:
        detail = _("没有在线的投递工作进程：稿件和预警都不会发出（运行 tongpin worker 或 tongpin serve）")
        return [Finding("workers", "heartbeats", FAIL, label, detail)]
    names = ", ".join(f"{w.host}:{w.pid}" for w in sorted(senders, key=lambda w: (w.host, w.pid)))
    return [Finding("workers", "heartbeats", OK, label, _("%(n)d 个在线：%(w)s") % {"n": len(senders), "w": names})]


# -- the machine -----------------------------------------------------------------------------------------------


def fonts() -> list[Finding]:
    label = _("中文字体")
    fc_list = _fc_list()
    if fc_list is None:
        return [Finding("fonts", "sc_font", WARN, label, _("找不到 fc-list（fontconfig），无法检查字体"))]
    if _fc(fc_list, SC_FONT):
        return [Finding("fonts", "sc_font", OK, label, _("%(f)s（PDF 和图表用）") % {"f": SC_FONT})]
    other = _fc(fc_list, ":lang=zh-cn")
    if other:
        detail = _("没有 %(f)s，PDF 和图表将用 %(o)s（安装 fonts-noto-cjk）") % {"f": SC_FONT, "o": other[0]}
        return [Finding("fonts", "sc_font", WARN, label, detail)]
    detail = _("没有中文字体：PDF 报告和期刊中的中文无法显示（安装 fonts-noto-cjk）")
    return [Finding("fonts", "sc_font", FAIL, label, detail)]


def _fc_list() -> str | None:
    return shutil.which("fc-list")


def _fc(fc_list: str, pattern: str) -> list[str]:
    try:
        done = subprocess.run(  # noqa: S603  (fixed argument list)
            [fc_list, pattern, "family"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    families = [line.split(",")[0].strip() for line in done.stdout.splitlines() if line.strip()]
    if pattern == SC_FONT:
        return [f for f in families if SC_FONT in f]
    return sorted(set(families))


def speech() -> list[Finding]:
    label = _("广播预警语音")
    if settings.TONGPIN_TTS_COMMAND:
        program = (shlex.split(settings.TONGPIN_TTS_COMMAND) or [""])[0]
        if shutil.which(program) is None:
            detail = _("TONGPIN_TTS_COMMAND 的程序 %(p)s 找不到：广播预警将只有文稿，没有音频") % {"p": program}
            return [Finding("tts", "speech", FAIL, label, detail)]
        return [Finding("tts", "speech", OK, label, _("使用 TONGPIN_TTS_COMMAND（%(p)s）") % {"p": program})]
    if settings.TONGPIN_TTS_ENGINE != "espeak":
        from importlib.metadata import entry_points

        names = {entry.name for entry in entry_points(group="tongpin.tts_engines")}
        if settings.TONGPIN_TTS_ENGINE not in names:
            detail = _("语音引擎 %(e)s 未安装，改用 espeak-ng") % {"e": settings.TONGPIN_TTS_ENGINE}
            return [Finding("tts", "speech", WARN, label, detail)]
        return [Finding("tts", "speech", OK, label, settings.TONGPIN_TTS_ENGINE)]
    binary = shutil.which("espeak-ng")
    if binary is None:
        detail = _("没有 espeak-ng：广播预警将只有文稿，没有音频（安装 espeak-ng）")
        return [Finding("tts", "speech", WARN, label, detail)]
    from tongpin.alerts.tts import EspeakEngine

    try:
        done = subprocess.run(  # noqa: S603
            [binary, f"--voices={EspeakEngine.voice.split('-')[0]}"], capture_output=True, text=True, timeout=20
        )
        voices = done.stdout.lower()
    except (OSError, subprocess.SubprocessError):
        voices = ""
    if EspeakEngine.voice not in voices:
        detail = _("espeak-ng 缺少普通话语音 %(v)s：广播预警将没有音频") % {"v": EspeakEngine.voice}
        return [Finding("tts", "speech", WARN, label, detail)]
    return [Finding("tts", "speech", OK, label, f"espeak-ng ({EspeakEngine.voice})")]


def disk() -> list[Finding]:
    from tongpin.web.status import disk_space

    found = []
    for place in disk_space():
        free, total = place["free_bytes"], place["total_bytes"]
        share = free / total if total else 0.0
        status = FAIL if free < GIB or share < 0.02 else WARN if free < 5 * GIB or share < 0.10 else OK
        detail = _("%(p)s：剩余 %(f).1f GB（%(s).0f%%）") % {"p": place["path"], "f": free / GIB, "s": share * 100}
        if status != OK:
            detail += _("，请清理或扩容（备份、上传文件和数据库都在这里）")
        found.append(Finding("disk", "free_space", status, str(place["label"]), detail))
    return found


def run(deploy: bool = False) -> list[Finding]:
    """Every check, in the order of the screen."""
    found = configuration(deploy)
    database_findings = database()
    found += database_findings
    found += workers(all(f.status != FAIL for f in database_findings if f.code == "reachable"))
    found += fonts() + speech() + disk()
    return found


def overall(found: list[Finding]) -> str:
    statuses = {f.status for f in found}
    return FAIL if FAIL in statuses else WARN if WARN in statuses else OK
