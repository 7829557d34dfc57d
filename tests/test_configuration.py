"""Settings through django-environ (tongpin.config): a bad value names its variable, mail through one
TONGPIN_EMAIL_URL, and every TONGPIN_* name in the code documented in docs/configuration.md."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port
from tongpin.config import SettingError, TongpinEnv

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "tongpin"
DOCS = ROOT / "docs" / "configuration.md"


def _run(tmp_path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    """`python -m tongpin …` (or `python -c …` when args start with -c) with only the given TONGPIN_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGPIN_", "DJANGO_"))}
    env |= {"TONGPIN_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT / "src"), "LANG": "C.UTF-8"} | variables
    command = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "tongpin", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)


SHOW_SETTINGS = (
    "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tongpin.settings'; django.setup(); "
    "from django.conf import settings as s; print(json.dumps({k: str(getattr(s, k, '')) for k in "
    "['EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'EMAIL_HOST_USER', "
    "'EMAIL_HOST_PASSWORD', 'EMAIL_FILE_PATH', 'DEFAULT_FROM_EMAIL', 'TONGPIN_BACKUP_KEEP', 'DEBUG', "
    "'TONGPIN_DELIVERY_POLL', 'ALLOWED_HOSTS', 'TONGPIN_BACKUP_SCHEDULE']}))"
)


# --- the reader ---


def test_unset_and_empty_take_the_default_and_set_values_parse():
    env = TongpinEnv({"TONGPIN_A": "12", "TONGPIN_B": " ", "TONGPIN_F": "0.5", "TONGPIN_ON": "Yes",
                      "TONGPIN_L": "a.cn, ,b.cn", "TONGPIN_C": "JSON"})
    assert env.int("TONGPIN_A", 7) == 12 and env.int("TONGPIN_B", 7) == 7 and env.int("TONGPIN_NONE", 7) == 7
    assert env.float("TONGPIN_F", 1.0) == 0.5 and env.bool("TONGPIN_ON") is True and env.bool("TONGPIN_B") is False
    assert env.list("TONGPIN_L") == ["a.cn", "b.cn"] and env.list("TONGPIN_NONE", ["x"]) == ["x"]
    assert env.choice("TONGPIN_C", ("plain", "json"), "plain") == "json"


@pytest.mark.parametrize(
    ("name", "value", "read", "expected"),
    [
        ("TONGPIN_BACKUP_KEEP", "abc", lambda e: e.int("TONGPIN_BACKUP_KEEP", 7, minimum=1), "whole number"),
        ("TONGPIN_BACKUP_KEEP", "0", lambda e: e.int("TONGPIN_BACKUP_KEEP", 7, minimum=1), "at least 1"),
        ("TONGPIN_DELIVERY_POLL", "fast", lambda e: e.float("TONGPIN_DELIVERY_POLL", 1.0), "a number"),
        ("TONGPIN_DELIVERY_POLL", "nan", lambda e: e.float("TONGPIN_DELIVERY_POLL", 1.0), "a number"),
        ("TONGPIN_HTTPS", "sure", lambda e: e.bool("TONGPIN_HTTPS"), "1/true/yes/on"),
        ("TONGPIN_LOG_FORMAT", "xml", lambda e: e.choice("TONGPIN_LOG_FORMAT", ("plain", "json"), "plain"), "json"),
        ("TONGPIN_DATABASE_URL", "notaurl", lambda e: e.db_url("TONGPIN_DATABASE_URL"), "database URL"),
        ("TONGPIN_EMAIL_URL", "pigeon://loft", lambda e: e.email_url("TONGPIN_EMAIL_URL"), "mail URL"),
        ("TONGPIN_EMAIL_URL", "smtp://", lambda e: e.email_url("TONGPIN_EMAIL_URL"), "needs a host"),
    ],
)
def test_a_bad_value_names_its_variable(name, value, read, expected):
    with pytest.raises(SettingError) as refused:
        read(TongpinEnv({name: value}))
    message = str(refused.value)
    assert message.startswith(f"{name}=") and repr(value) in message and expected in message
    assert refused.value.name == name


def test_a_password_in_a_bad_url_is_not_repeated():
    with pytest.raises(SettingError) as refused:
        TongpinEnv({"TONGPIN_DATABASE_URL": "postgresql://tp:s3cret@db:port/tp"}).db_url("TONGPIN_DATABASE_URL")
    assert "TONGPIN_DATABASE_URL" in str(refused.value) and "s3cret" not in str(refused.value)


def test_mail_urls():
    env = TongpinEnv({
        "TONGPIN_EMAIL_URL": "smtp+tls://news%40tv.cn:p%40ss@mail.tv.cn:587",
        "SSL": "smtp+ssl://mail.tv.cn:465", "CONSOLE": "consolemail://", "FILE": "filemail:///var/spool/tongpin",
    })
    tls = env.email_url("TONGPIN_EMAIL_URL")
    assert tls["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (tls["EMAIL_HOST"], tls["EMAIL_PORT"], tls["EMAIL_USE_TLS"]) == ("mail.tv.cn", 587, True)
    assert (tls["EMAIL_HOST_USER"], tls["EMAIL_HOST_PASSWORD"]) == ("news@tv.cn", "p@ss")
    assert env.email_url("SSL")["EMAIL_USE_SSL"] is True
    assert env.email_url("CONSOLE")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert env.email_url("FILE")["EMAIL_FILE_PATH"] == "/var/spool/tongpin"  # absolute, as written
    assert env.email_url("UNSET") is None


# --- at start: one line, status 2, the variable named ---


@pytest.mark.django_db(False)
@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"TONGPIN_BACKUP_KEEP": "abc"}, "TONGPIN_BACKUP_KEEP='abc'"),
        ({"TONGPIN_DATABASE_URL": "postgresql://u:pw@db:notaport/x"}, "TONGPIN_DATABASE_URL="),
        ({"TONGPIN_EMAIL_URL": "pigeon://loft"}, "TONGPIN_EMAIL_URL='pigeon://loft'"),
        ({"TONGPIN_BACKUP_SCHEDULE": "weekly"}, "TONGPIN_BACKUP_SCHEDULE='weekly'"),
    ],
)
def test_tongpin_refuses_to_start_on_a_bad_value(tmp_path, variables, named):
    for args in (("check",), ("token", "list"), ("--help",)):
        done = _run(tmp_path, *args, **variables)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.startswith(f"tongpin: {named}") and "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "pw@" not in done.stderr


@pytest.mark.django_db(False)
def test_defaults_and_the_older_mail_variable_still_work(tmp_path):
    shown = json.loads(_run(tmp_path, "-c", SHOW_SETTINGS).stdout)
    assert shown["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert shown["TONGPIN_BACKUP_KEEP"] == "7" and shown["DEBUG"] == "False" and shown["TONGPIN_DELIVERY_POLL"] == "1.0"
    assert shown["ALLOWED_HOSTS"] == "['localhost', '127.0.0.1', '[::1]']" and shown["TONGPIN_BACKUP_SCHEDULE"] == "off"

    dummy = "django.core.mail.backends.dummy.EmailBackend"
    shown = json.loads(_run(tmp_path, "-c", SHOW_SETTINGS, TONGPIN_EMAIL_BACKEND=dummy).stdout)
    assert shown["EMAIL_BACKEND"] == dummy  # deprecated, still honoured

    shown = json.loads(_run(tmp_path, "-c", SHOW_SETTINGS, TONGPIN_EMAIL_BACKEND=dummy,
                            TONGPIN_EMAIL_URL="smtp+tls://u:p@mail.tv.cn:587", TONGPIN_EMAIL_FROM="news@tv.cn",
                            TONGPIN_BACKUP_SCHEDULE="daily@02:30").stdout)
    assert shown["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"  # the URL wins
    assert (shown["EMAIL_HOST"], shown["EMAIL_PORT"], shown["EMAIL_USE_TLS"]) == ("mail.tv.cn", "587", "True")
    assert shown["DEFAULT_FROM_EMAIL"] == "news@tv.cn" and shown["TONGPIN_BACKUP_SCHEDULE"] == "daily@02:30"


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.mark.django_db(False)
def test_mail_goes_out_through_the_email_url(tmp_path):
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        done = _run(tmp_path, "sendtestemail", "duty@tv.cn", TONGPIN_EMAIL_URL=f"smtp://127.0.0.1:{port}",
                    TONGPIN_EMAIL_FROM="tongpin@tv.cn")
    finally:
        controller.stop()
    assert done.returncode == 0, done.stderr
    assert len(inbox.messages) == 1
    assert inbox.messages[0].mail_from == "tongpin@tv.cn" and inbox.messages[0].rcpt_tos == ["duty@tv.cn"]

    folder = tmp_path / "mail"
    done = _run(tmp_path, "sendtestemail", "duty@tv.cn", TONGPIN_EMAIL_URL=f"filemail://{folder}")
    assert done.returncode == 0, done.stderr
    assert any("duty@tv.cn" in f.read_text() for f in folder.iterdir())


# --- docs/configuration.md lists every name ---


def _names_in_code() -> set[str]:
    names = set()
    for path in SRC.rglob("*"):
        if path.suffix in {".py", ".html", ".txt", ".js"} and "locale" not in path.parts:
            names |= set(re.findall(r"\bTONGPIN_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    return names


def test_every_tongpin_name_in_the_code_is_in_the_configuration_docs():
    documented = set()
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):  # a table row, not a mention in passing
            documented |= set(re.findall(r"`(TONGPIN_[A-Z0-9_]+)`", line))
    names = _names_in_code()
    assert {"TONGPIN_NOTIFY_EMAIL", "TONGPIN_EMAIL_URL", "TONGPIN_BACKUP_KEEP", "TONGPIN_HOME"} <= names
    missing = sorted(names - documented)
    assert not missing, f"not in a table of docs/configuration.md: {missing}"
