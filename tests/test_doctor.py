"""`tongpin check` (alias `doctor`): one screen of ok / warn / fail lines, --json, exit 0 / 1 / 2."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from tongpin.publishing import workers
from tongpin.web import doctor

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ["configuration", "database", "workers", "fonts", "tts", "disk"]


@pytest.fixture
def healthy_machine(settings, monkeypatch, tmp_path):
    """The machine-dependent probes answer as on a well-equipped server: the SC face installed, a speech command
    that exists everywhere, plenty of disk; a worker beating; a private key file."""
    monkeypatch.setattr(doctor, "_fc_list", lambda: "/usr/bin/fc-list")
    monkeypatch.setattr(doctor, "_fc", lambda fc_list, pattern: ["Noto Sans CJK SC"])
    settings.TONGPIN_TTS_COMMAND = "true {text_file} {wav}"
    free = {"label": "数据目录", "path": str(tmp_path), "total_bytes": 100 * doctor.GIB, "free_bytes": 60 * doctor.GIB}
    monkeypatch.setattr("tongpin.web.status.disk_space", lambda: [free])
    monkeypatch.delenv("TONGPIN_SECRET_KEY", raising=False)
    settings.HOME = tmp_path
    key = tmp_path / "secret_key"
    key.write_text("k" * 50)
    key.chmod(0o600)
    settings.DEBUG = False
    settings.TONGPIN_WORKER_DEAD_AFTER = 3600  # however slow the machine, the beat below stays fresh
    workers.beat("host1:4321:abc", "deliveries,tasks", timezone.now())
    return tmp_path


def _check(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check", *args, stdout=out)
    except SystemExit as stop:
        return stop.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_all_ok_exits_0_with_one_line_per_check(healthy_machine):
    code, screen = _check()
    assert code == 0, screen
    assert "结果：全部正常" in screen and "[失败]" not in screen and "[警告]" not in screen
    for heading in ["配置", "数据库", "投递工作进程", "字体", "广播预警语音", "磁盘空间"]:
        assert heading in screen
    assert "心跳" in screen and "1 个在线：" in screen and "Noto Sans CJK SC" in screen
    assert "（权限 0600）" in screen and "已全部应用" in screen

    code, text = _check("--json")
    report = json.loads(text)
    assert code == 0 and report["status"] == "ok"
    assert {c["group"] for c in report["checks"]} == set(GROUPS)
    assert all(c["status"] == "ok" for c in report["checks"])
    assert {"settings", "debug", "allowed_hosts", "secret_key", "mail", "system_checks", "reachable", "engine",
            "migrations", "heartbeats", "sc_font", "speech", "free_space"} <= {c["code"] for c in report["checks"]}


@pytest.mark.django_db
def test_warnings_still_exit_0(healthy_machine, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setattr(doctor, "_fc", lambda fc_list, pattern: [] if pattern == doctor.SC_FONT else ["WenQuanYi"])
    code, text = _check("--json")
    report = json.loads(text)
    by_code = {c["code"]: c for c in report["checks"]}
    assert code == 0 and report["status"] == "warn"
    assert by_code["debug"]["status"] == "warn" and "TONGPIN_DEBUG" in by_code["debug"]["detail"]
    assert by_code["sc_font"]["status"] == "warn" and "WenQuanYi" in by_code["sc_font"]["detail"]
    code, screen = _check()
    assert code == 0 and "[警告] 调试模式" in screen and "结果：0 项失败，2 项警告" in screen


@pytest.mark.django_db
def test_a_failure_exits_1_and_says_what_to_do(healthy_machine, settings, monkeypatch):
    workers.stopped("host1:4321:abc")  # no delivery worker
    (healthy_machine / "secret_key").chmod(0o644)  # readable by others
    monkeypatch.setattr(doctor, "_fc", lambda fc_list, pattern: [])  # no Chinese font at all
    settings.TONGPIN_TTS_COMMAND = "/nonexistent/voice {text_file} {wav}"
    low = {"label": "数据目录", "path": "/srv", "total_bytes": 100 * doctor.GIB, "free_bytes": doctor.GIB // 2}
    monkeypatch.setattr("tongpin.web.status.disk_space", lambda: [low])
    code, text = _check("--json")
    assert code == 1
    report = json.loads(text)
    by_code = {c["code"]: c for c in report["checks"]}
    assert report["status"] == "fail"
    assert by_code["heartbeats"]["status"] == "fail" and "tongpin worker" in by_code["heartbeats"]["detail"]
    assert by_code["secret_key"]["status"] == "fail" and "chmod 600" in by_code["secret_key"]["detail"]
    assert by_code["sc_font"]["status"] == "fail" and "fonts-noto-cjk" in by_code["sc_font"]["detail"]
    assert by_code["speech"]["status"] == "fail" and "/nonexistent/voice" in by_code["speech"]["detail"]
    assert by_code["free_space"]["status"] == "fail"
    assert by_code["reachable"]["status"] == "ok"  # the rest is still reported

    code, screen = _check()
    assert code == 1 and "[失败] 心跳" in screen and "结果：5 项失败，0 项警告" in screen

    out = StringIO()  # the other name
    with pytest.raises(SystemExit) as stop:
        call_command("doctor", "--json", stdout=out)
    assert stop.value.code == 1 and json.loads(out.getvalue())["status"] == "fail"


@pytest.mark.django_db
def test_english_when_the_shell_speaks_english(healthy_machine, monkeypatch):
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    code, screen = _check()
    assert code == 0 and "Result: all ok" in screen and "Heartbeats" in screen and "心跳" not in screen


def _tongpin(tmp_path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGPIN_", "DJANGO_", "LANG", "LC_"))}
    env |= {"TONGPIN_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT / "src"), "LANG": "C.UTF-8"} | extra
    return subprocess.run(
        [sys.executable, "-m", "tongpin", *args], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


@pytest.mark.django_db(False)
def test_command_line_exit_codes(tmp_path):
    usage = _tongpin(tmp_path, "check", "--no-such-option")
    assert usage.returncode == 2 and "无法识别的参数：--no-such-option" in usage.stderr  # C.UTF-8: Chinese words

    # A fresh data folder: the database has no tables, so no worker can be seen either.
    done = _tongpin(tmp_path, "check", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    by_code = {c["code"]: c for c in report["checks"]}
    assert by_code["migrations"]["status"] == "fail" and "tongpin migrate" in by_code["migrations"]["detail"]
    assert by_code["heartbeats"]["status"] == "fail"
    assert by_code["secret_key"]["status"] == "ok"  # generated 0600

    screen = _tongpin(tmp_path, "doctor")
    assert screen.returncode == 1 and "[失败] 数据库迁移" in screen.stdout and "结果：" in screen.stdout


@pytest.mark.django_db(False)
def test_help_lists_tongpins_own_commands_in_chinese(tmp_path):
    from tongpin.commands import COMMANDS

    for args in ((), ("help",), ("--help",)):
        done = _tongpin(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        assert "同频的命令：" in done.stdout and "[auth]" not in done.stdout  # not Django's raw list
        for name, _text in COMMANDS:
            assert f"\n  {name} " in done.stdout, name
        assert "自检：配置、数据库" in done.stdout and "tongpin help --django" in done.stdout
    english = _tongpin(tmp_path, "--help", LANG="en_US.UTF-8")
    assert "Tongpin's commands:" in english.stdout and "self-check" in english.stdout
    django = _tongpin(tmp_path, "help", "--django")
    assert django.returncode == 0 and "[auth]" in django.stdout and "dbshell" in django.stdout
    one = _tongpin(tmp_path, "help", "backup")
    assert one.returncode == 0 and "--to" in one.stdout


@pytest.mark.django_db
def test_the_self_check_page_and_api_for_those_without_a_shell(healthy_machine, users, client_for, token_for):
    workers.stopped("host1:4321:abc")
    page = client_for("duty").get("/status/check/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "投递工作进程" in html and "没有在线的投递工作进程" in html and "Noto Sans CJK SC" in html
    assert html.count('class="badge st-withdrawn"') == 2  # the failed line and the overall badge
    assert 'href="/status/check/"' in client_for("duty").get("/status/").content.decode()
    assert client_for("reporter").get("/status/check/").status_code == 403

    answer = client_for("admin").get("/api/v1/status/check", HTTP_AUTHORIZATION=f"Bearer {token_for('admin')}")
    assert answer.status_code == 200 and answer.json()["status"] == "fail"
    by_code = {c["code"]: c for c in answer.json()["checks"]}
    assert by_code["heartbeats"]["status"] == "fail" and by_code["sc_font"]["status"] == "ok"
    refused = client_for("reporter").get("/api/v1/status/check", HTTP_AUTHORIZATION=f"Bearer {token_for('reporter')}")
    assert refused.status_code == 403
