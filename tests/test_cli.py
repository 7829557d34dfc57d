import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tongpin.cli import REFUSED
from tongpin.core.models import User
from tongpin.newsroom.models import Revision, Story
from tongpin.partners.models import Liaison
from tongpin.web.demo import DEMO_USERS, STORIES, load_demo

from .conftest import free_port

pytestmark = pytest.mark.django_db


def test_createuser_with_partner(partners):
    call_command("createuser", "liu", "--role", "partner_liaison", "--partner", "em", "--password", "pw-1234567890")
    user = User.objects.get(username="liu")
    assert user.role == "partner_liaison" and Liaison.objects.get(user=user).partner.slug == "em"
    assert user.check_password("pw-1234567890")


def test_createuser_refuses_bad_combinations(partners):
    with pytest.raises(CommandError):
        call_command("createuser", "a", "--role", "partner_liaison", "--password", "x")
    with pytest.raises(CommandError):
        call_command("createuser", "b", "--role", "reporter", "--partner", "em", "--password", "x")
    with pytest.raises(CommandError):
        call_command("createuser", "c", "--role", "partner_liaison", "--partner", "nope", "--password", "x")
    assert not User.objects.exists()


def test_token_create_prints_a_working_token(users):
    out = io.StringIO()
    call_command("token", "create", "reporter", stdout=out)
    raw = out.getvalue().strip()
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["username"] == "reporter"
    call_command("token", "revoke", raw[:10], stdout=io.StringIO())
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_demo_loads_once(db):
    assert load_demo() is True
    counts = (User.objects.count(), Story.objects.count(), Revision.objects.count())
    assert counts[0] == len(DEMO_USERS) and counts[1] == len(STORIES)
    assert load_demo() is False
    assert (User.objects.count(), Story.objects.count(), Revision.objects.count()) == counts
    # Demo stories meant to be published go through the real pipeline (queued, sent by the channels' transmitters,
    # published once delivered), dated on their own day in the demo's past: the publication date the portal, the
    # API and partner reports use is two hours after the story's own "days ago", not the day the demo was built.
    import datetime as dt

    from tongpin.newsroom.publish import with_published_at
    from tongpin.publishing.models import Delivery

    assert set(Delivery.objects.values_list("state", flat=True)) == {"success"}
    meant = {title: days for title, _a, _p, status, *_rest, days in STORIES if status == "published"}
    published = with_published_at(Story.objects.filter(status="published"))
    assert {story.title for story in published} == set(meant)
    for story in published:
        assert story.published_at - story.created_at == dt.timedelta(hours=2), story.title
        assert (timezone.now() - story.created_at).days == meant[story.title], story.title


def test_the_demo_has_an_officer_on_duty_and_a_drill_channel(db):
    """Without a roster the demo's duty console says nobody is on duty, and without a test channel drills refuse."""
    from django.utils import timezone

    from tongpin.alerts import drill, duty
    from tongpin.publishing.models import Delivery

    load_demo()
    assert [u.username for u in duty.people_on_duty("officer", timezone.now())] == ["duty"]
    assert [c.slug for c in drill.test_channels()] == ["drill-sms"]
    assert not Delivery.objects.filter(channel__slug="drill-sms").exists()  # stories never go to a test channel


def test_reindex_command(db):
    load_demo()
    out = io.StringIO()
    call_command("reindex", stdout=out)
    assert f"indexed {len(STORIES)} stories" in out.getvalue()


# --- the `tongpin` command as a user runs it: from any folder, with no TONGPIN_HOME ---


# These run the command on the embedded default whatever the suite's database is: once is enough (CI's PostgreSQL
# run skips them).
embedded_only = pytest.mark.skipif(
    bool(os.environ.get("TONGPIN_DATABASE_URL")), reason="runs `tongpin` on the embedded default; SQLite run covers it"
)


def _tongpin_env(tmp_path, **extra: str) -> dict[str, str]:
    """The caller's environment without Tongpin's variables; HOME and XDG_DATA_HOME point into tmp_path, so the
    per-user default lands there and never in the real home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGPIN_", "DJANGO_"))}
    src = str(Path(__file__).resolve().parent.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    env |= {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data")} | extra
    return env


def _tongpin(tmp_path, *args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    cwd = tmp_path / "elsewhere"
    cwd.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "tongpin", *args],
        cwd=cwd,
        env=_tongpin_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _assert_refused(done: subprocess.CompletedProcess, database: Path, reason: str) -> None:
    assert done.returncode == REFUSED == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("tongpin: ") and reason in done.stderr and str(database) in done.stderr
    assert "tongpin migrate" in done.stderr and "TONGPIN_HOME=" in done.stderr  # how to create it or point at it


@embedded_only
@pytest.mark.django_db(False)
def test_a_command_that_needs_a_missing_database_refuses_in_one_line(tmp_path):
    default = tmp_path / "data" / "tongpin"
    english = {"LANG": "en_US.UTF-8", "LANGUAGE": "", "LC_ALL": ""}
    done = _tongpin(tmp_path, "token", "create", "admin", **english)
    _assert_refused(done, default / "tongpin.sqlite3", "no database at")
    assert "per-user default" in done.stderr
    # In a Chinese shell (the default), in Chinese: a user trial found this line in English only.
    done = _tongpin(tmp_path, "token", "create", "admin", LANG="zh_CN.UTF-8", LANGUAGE="", LC_ALL="")
    _assert_refused(done, default / "tongpin.sqlite3", "处没有数据库（每个用户的默认位置）")
    # Nothing was created: no data folder, no var/ in the current folder, nothing in the home folder.
    assert not (tmp_path / "data").exists() and not (tmp_path / "home").exists()
    assert list((tmp_path / "elsewhere").iterdir()) == []

    # ./var only when asked for, and refused the same way.
    done = _tongpin(tmp_path, "worker", "--batch", TONGPIN_HOME="var", **english)
    _assert_refused(done, tmp_path / "elsewhere" / "var" / "tongpin.sqlite3", "no database at")
    assert list((tmp_path / "elsewhere").iterdir()) == []

    # A database file that exists but was never migrated (what older versions left behind).
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "tongpin.sqlite3").touch()
    done = _tongpin(tmp_path, "token", "list", TONGPIN_HOME=str(stale), **english)
    _assert_refused(done, stale / "tongpin.sqlite3", "no tables")


@embedded_only
@pytest.mark.django_db(False)
def test_migrate_and_serve_use_the_per_user_data_folder(tmp_path):
    database = tmp_path / "data" / "tongpin" / "tongpin.sqlite3"
    migrated = _tongpin(tmp_path, "migrate", "-v", "0", timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    assert database.is_file()
    listed = _tongpin(tmp_path, "token", "list")  # found and migrated: runs, and lists no tokens
    assert listed.returncode == 0 and listed.stdout == "", listed.stderr

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tongpin", "serve", "--port", str(port), "--workers", "1", "--no-worker"],
        cwd=tmp_path / "elsewhere",
        env=_tongpin_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        health = _wait_for_health(f"http://127.0.0.1:{port}/healthz", server, timeout=120)
        assert health["database"]["ok"] is True
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert list((tmp_path / "elsewhere").iterdir()) == []  # no var/ beside the user


def _wait_for_health(url: str, server: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve exited with {server.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310  (http://127.0.0.1 only)
                return json.load(answer)
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_version_is_tongpins_own():
    import subprocess
    import sys

    from tongpin import __version__

    done = subprocess.run([sys.executable, "-m", "tongpin", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == __version__


def test_the_overview_lists_every_command_tongpin_ships():
    """`tongpin help` lists Tongpin's own commands: one added without a line there would be invisible."""
    from pathlib import Path

    import tongpin
    from tongpin.commands import COMMANDS

    listed = {name for name, _text in COMMANDS}
    shipped = {
        path.stem
        for path in Path(tongpin.__file__).parent.glob("*/management/commands/*.py")
        if not path.stem.startswith("_")
    }
    aliases = {"doctor"}  # `tongpin doctor` is `tongpin check`
    assert shipped - aliases <= listed, sorted(shipped - aliases - listed)


def test_the_overview_into_a_reader_that_leaves_early_is_no_traceback(tmp_path):
    """`tongpin help | head -2`: a user trial got a BrokenPipeError traceback after the two lines."""
    env = {**os.environ, "TONGPIN_HOME": str(tmp_path), "LANGUAGE": "zh_CN"}
    process = subprocess.Popen([sys.executable, "-m", "tongpin", "help"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)  # fmt: skip
    process.stdout.close()  # the reader is gone before a line is written
    _out, errors = process.communicate(timeout=60)
    assert process.returncode == 0 and b"Traceback" not in errors, errors.decode()


# --- one convention for every reporting command (docs/operations.md「命令行约定」) --------------------------------
# Exit status 0 ok, 1 findings or invalid input, 2 a usage error or input that cannot be read; `--json` prints one
# JSON object; help texts in the shell's language.

CJK = re.compile(r"[\u4e00-\u9fff]")
REPORTING = "cap proofread wci eb token account keys reindex backup restore check audit".split()


def _run(*args: str) -> tuple[int, str, str]:
    """A command in-process as the CLI would end it: (exit status, stdout, stderr or the error's message)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as ended:
        return int(ended.code), out.getvalue(), err.getvalue()
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), err.getvalue()


def _one_object(text: str) -> dict:
    document = json.loads(text)  # one document: JSON lines would not parse
    assert isinstance(document, dict), document
    return document


def _cap_message() -> bytes:
    from .test_alerts_cap import cap

    return cap()


def test_cap_validate_exit_codes_and_json(tmp_path):
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(_cap_message())
    bad.write_bytes(_cap_message().replace(b"<scope>Public</scope>", b""))
    code, out, _err = _run("cap", "validate", "--json", str(good))
    assert code == 0 and _one_object(out)["ok"] is True
    code, out, _err = _run("cap", "validate", "--json", str(good), str(bad))
    document = _one_object(out)
    assert code == 1 and document["ok"] is False and [f["valid"] for f in document["files"]] == [True, False]
    code, out, _err = _run("cap", "validate", str(bad))  # the screen: one line per file
    assert code == 1 and out.startswith(f"{bad}: ") and "schema" in out
    assert _run("cap", "validate")[0] == 2  # no file: usage
    assert _run("cap", "validate", "--profile", "mars", str(good))[0] == 2
    assert _run("cap", "validate", str(tmp_path / "missing.xml"))[0] == 2  # unreadable
    code, _out, message = _run("cap", "validate", "--max-bytes", "100", str(good))  # too large
    assert code == 2 and str(good) in message
    # Warnings: counted on the line; listed one a line with -v 2, before or after `validate`.
    code, out, _err = _run("cap", "validate", "--profile", "ipaws", str(good))
    assert "ipaws_code" not in out and "⚠" not in out
    for args in (("validate", "-v", "2"), ("-v", "2", "validate")):
        code, out, _err = _run("cap", *args, "--profile", "ipaws", str(good))
        assert code == 1 and "  ⚠ ipaws_code: " in out, out


def test_cap_validate_words_follow_the_shells_language_and_the_codes_stay(monkeypatch, tmp_path):
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(_cap_message())
    bad.write_bytes(_cap_message().replace(b"JX-2026-001", b"JX 2026,001"))
    screens = {}
    for lang in ("zh_CN.UTF-8", "en_US.UTF-8"):
        _env_language(monkeypatch, lang)
        code, screens[lang], _err = _run("cap", "validate", "-v", "2", "--profile", "ipaws", str(bad), str(good))
        assert code == 1
        code, out, _err = _run("cap", "validate", "--json", str(bad))
        [error] = _one_object(out)["files"][0]["errors"]
        assert code == 1 and (error["code"], error["location"]) == ("bad_identifier", "identifier")
    chinese, english = screens.values()
    assert "bad_identifier: <identifier> 不能含空格、逗号、< 或 &。" in chinese
    assert "  ⚠ ipaws_code: 没有 <code>IPAWSv1.0</code>。" in chinese
    assert "bad_identifier: <identifier> must not contain spaces, commas, '<' or '&'" in english
    assert "  ⚠ ipaws_code: no <code>IPAWSv1.0</code>" in english and not CJK.search(english)


def test_proofread_exit_codes_and_json(tmp_path):
    clean, wrong, latin = tmp_path / "clean.txt", tmp_path / "wrong.txt", tmp_path / "latin.txt"
    clean.write_text("今天天气很好。", encoding="utf-8")
    wrong.write_text("要再接再励，做好防讯工作。", encoding="utf-8")
    latin.write_bytes("今天".encode("gb18030"))
    code, out, _err = _run("proofread", "--json", str(clean))
    assert code == 0 and _one_object(out)["ok"] is True
    code, out, _err = _run("proofread", "--json", str(wrong))
    document = _one_object(out)
    assert code == 1 and document["ok"] is False and len(document["findings"]) == 2
    assert _run("proofread")[0] == 2  # no file
    assert _run("proofread", "--max-chars", "many", str(clean))[0] == 2
    assert _run("proofread", str(tmp_path / "missing.txt"))[0] == 2
    code, _out, message = _run("proofread", str(latin))
    assert code == 2 and "UTF-8" in message


def test_wci_exit_codes_and_json(tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "account,published_at,position,reads,likes,wows,shares\n样例号,2026-11-16 08:00,1,300,60,0,0\n",
        encoding="utf-8",
    )
    code, out, _err = _run("wci", "--json", str(rows))
    document = _one_object(out)
    assert code == 0 and document["accounts"][0]["account"] == "样例号" and document["period"] == "week"
    broken = tmp_path / "broken.csv"
    broken.write_text("account,published_at\n样例号,2026-11-16\n", encoding="utf-8")
    assert _run("wci", str(broken))[0] == 1  # read, but not valid
    bad_row = tmp_path / "bad_row.csv"
    bad_row.write_text(rows.read_text(encoding="utf-8") + "样例号,yesterday,1,x,0,0,0\n", encoding="utf-8")
    assert _run("wci", str(bad_row))[0] == 1
    assert _run("wci", "--formula", "9.9", str(rows))[0] == 2
    assert _run("wci", str(tmp_path / "missing.csv"))[0] == 2
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(rows.read_text(encoding="utf-8").encode("gb18030"))
    assert _run("wci", str(gbk))[0] == 2


def test_eb_verify_exit_codes_and_json(tmp_path):
    from tongpin.publishing import ebpackage

    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a package")
    key = ebpackage.public_key_of(ebpackage.new_private_key())
    code, out, _err = _run("eb", "verify", "--json", str(junk), "--public-key", key)
    document = _one_object(out)
    assert code == 1 and document["valid"] is False and document["problems"]
    code, out, _err = _run("eb", "verify", str(junk), "--public-key", key)  # the screen
    assert code == 1 and out.startswith(f"{junk}: ")
    assert _run("eb", "verify", str(junk))[0] == 2  # no key: usage
    assert _run("eb", "verify", str(tmp_path / "missing.tar"), "--public-key", key)[0] == 2
    assert _run("eb", "verify", str(junk), "--cert", str(tmp_path / "missing.pem"))[0] == 2
    key_file = tmp_path / "key.pub"
    key_file.write_bytes(b"\xff\xfe")
    assert _run("eb", "verify", str(junk), "--public-key", str(key_file))[0] == 2  # not UTF-8
    assert _run("check", "--bogus")[0] == 2


def test_token_account_reindex_and_audit_report_one_json_object(users):
    call_command("token", "create", "reporter", stdout=io.StringIO())
    code, out, _err = _run("token", "list", "--json")
    [token] = _one_object(out)["tokens"]
    assert code == 0 and token["user"] == "reporter" and token["state"] == "active" and token["scope"] == "full"
    code, out, _err = _run("token", "list")
    assert code == 0 and "\treporter\t" in out
    assert _run("token", "lists")[0] == 2 and _run("token")[0] == 2

    code, out, _err = _run("account", "disable-dormant", "--dry-run", "--json")
    assert code == 0 and _one_object(out) == {"action": "disable-dormant", "dry_run": True, "accounts": []}
    code, out, _err = _run("account", "enable", "reporter", "--json")
    assert code == 0 and _one_object(out) == {"action": "enable", "username": "reporter", "changed": False}
    assert _run("account", "enable", "nobody")[0] == 1
    assert _run("account", "enable")[0] == 2
    assert _run("account", "reset-2fa", "nobody")[0] == 1 and _run("account", "disable")[0] == 2

    code, out, _err = _run("keys", "status", "--json")
    assert code == 0 and set(_one_object(out)) >= {"current", "keys", "stores"}
    assert _run("keys")[0] == 2 and _run("keys", "statuses")[0] == 2 and _run("keys", "generate", "--json")[0] == 2

    code, out, _err = _run("reindex", "--json")
    assert code == 0 and set(_one_object(out)) == {"stories", "seconds"}
    assert _run("reindex", "--bogus")[0] == 2

    code, out, _err = _run("audit", "verify", "--json")
    assert code == 0 and _one_object(out)["ok"] is True
    code, out, _err = _run("audit", "purge", "--json")
    assert code == 0 and _one_object(out)["deleted"] == 0
    assert _run("audit", "purge", "--days", "1")[0] == 2  # below the minimum retention
    assert _run("audit", "export", "--from", "yesterday")[0] == 2


def test_createuser_usage_and_refusals(partners):
    assert _run("createuser", "a", "--role", "partner_liaison", "--password", "pw-1234567890")[0] == 2
    assert _run("createuser", "b", "--role", "reporter", "--partner", "em", "--password", "pw-1234567890")[0] == 2
    assert _run("createuser", "c", "--role", "partner_liaison", "--partner", "nope", "--password", "x")[0] == 1
    assert _run("createuser", "d", "--role", "reporter", "--password", "1")[0] == 1  # a weak password
    assert _run("createuser", "e", "--role", "king")[0] == 2
    assert _run("createuser", "f", "--role", "reporter", "--password", "pw-1234567890")[0] == 0
    code, _out, message = _run("createuser", "f", "--role", "reporter", "--password", "pw-1234567890")
    assert code == 1 and "'f'" in message


def test_restore_refuses_what_it_cannot_read(db, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not an archive")
    assert _run("restore", str(tmp_path / "missing.tar"))[0] == 2
    code, _out, message = _run("restore", str(junk))
    assert code == 2 and str(junk) in message
    assert _run("restore")[0] == 2 and _run("backup", "--to")[0] == 2


def _env_language(monkeypatch, lang: str) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)


def _all_help(command: str) -> str:
    """The help of a command and of each of its subcommands, as `tongpin help COMMAND` would format it."""
    import argparse

    from django.core.management import get_commands, load_command_class

    parser = load_command_class(get_commands()[command], command).create_parser("tongpin", command)
    texts = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            texts += [sub.format_help() for sub in action.choices.values()]
    return "\n".join(texts)


@pytest.mark.parametrize("command", [*REPORTING, "createuser", "serve", "worker", "lanewatch"])
def test_help_follows_the_shells_language(monkeypatch, command):
    from django.core.management import get_commands, load_command_class

    from tongpin.core.commandbase import TongpinCommand

    assert isinstance(load_command_class(get_commands()[command], command), TongpinCommand)
    _env_language(monkeypatch, "zh_CN.UTF-8")
    chinese = _all_help(command)
    assert CJK.search(chinese.split("\n\n")[1]), chinese  # the description is Chinese
    assert ("--json" in chinese) == (command in REPORTING)
    # argparse's own words too (a user trial found "usage:", "options:" and the -h line in English).
    assert chinese.startswith("用法：tongpin ") and "选项:" in chinese and "显示此帮助信息并退出" in chinese
    assert not re.search(r"usage:|options:|positional arguments|show this help", chinese)
    _env_language(monkeypatch, "en_US.UTF-8")
    english = _all_help(command)
    assert not CJK.search(english), [line for line in english.splitlines() if CJK.search(line)]
    assert english.startswith("usage: tongpin ") and "options:" in english and "show this help message" in english
    # Django's own options too (a user trial found them in English in the Chinese help); Django's --version,
    # --settings and --pythonpath are not Tongpin's way and stay out of the help.
    assert "输出的详细程度" in chinese and "出错时显示完整的调用栈" in chinese and "Verbosity level" not in chinese
    assert "Verbosity level" in english and "--settings" not in english and "--version" not in english


@pytest.mark.django_db(False)
def test_the_real_command_line_keeps_the_convention(tmp_path):
    text = tmp_path / "story.txt"
    text.write_text("北朝鲜", encoding="utf-8")
    zh, en = (
        {"LANG": "zh_CN.UTF-8", "LANGUAGE": "", "LC_ALL": ""},
        {"LANG": "en_US.UTF-8", "LANGUAGE": "", "LC_ALL": ""},
    )

    help_zh, help_en = _tongpin(tmp_path, "help", "cap", **zh), _tongpin(tmp_path, "proofread", "--help", **en)
    assert help_zh.returncode == 0 and "校验 CAP 1.2" in help_zh.stdout, help_zh.stderr
    assert help_en.returncode == 0 and "Proofread Chinese text" in help_en.stdout and not CJK.search(help_en.stdout)

    found = _tongpin(tmp_path, "proofread", "--json", str(text), **zh)
    assert found.returncode == 1 and _one_object(found.stdout)["findings"][0]["suggestion"] == "朝鲜"

    for args, words in (
        (("proofread", "--bogus", str(text)), "用法错误"),  # usage
        (("cap", "validate", str(tmp_path / "missing.xml")), "无法读取"),  # unreadable
        (("wci",), "用法错误"),
    ):
        done = _tongpin(tmp_path, *args, **zh)
        assert done.returncode == 2 and done.stdout == "", (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr and "Traceback" not in done.stderr
    done = _tongpin(tmp_path, "cap", "validate", str(tmp_path / "missing.xml"), **en)
    assert done.returncode == 2 and "cannot read" in done.stderr.lower() and not CJK.search(done.stderr)


def test_argparse_error_messages_follow_the_shells_language(monkeypatch):
    _env_language(monkeypatch, "zh_CN.UTF-8")
    code, _out, message = _run("keys", "statuses")
    # The subcommand by that name, not argparse's dest ("参数 action", a trial found it cryptic).
    assert code == 2 and "用法错误：没有子命令“statuses”（可选：status、rotate" in message, message
    assert _run("audit", "purge", "--days", "x")[2].startswith("用法错误：参数 --days：无效的 int 值：'x'")
    assert "缺少子命令（可选：create、list、revoke）" in _run("token")[2]
    assert "无法识别的参数：--bogus" in _run("reindex", "--bogus")[2]
    _env_language(monkeypatch, "en_US.UTF-8")
    code, _out, message = _run("keys", "statuses")
    assert code == 2 and "no subcommand 'statuses' (choose from status, rotate" in message, message
    assert not CJK.search(message) and "missing subcommand (choose from create, list, revoke)" in _run("token")[2]


def test_an_option_given_before_its_subcommand_is_named_with_the_subcommand(monkeypatch):
    """A user trial: `tongpin audit --days x` was refused as an unknown subcommand 'x'."""
    _env_language(monkeypatch, "zh_CN.UTF-8")
    code, _out, message = _run("audit", "--days", "x")
    assert code == 2 and "--days 是子命令 purge 的选项" in message and "tongpin audit purge --days" in message
    code, _out, message = _run("token", "--json", "list")
    assert code == 2 and "--json 是子命令 list 的选项" in message, message
    assert "没有子命令“bogus”" in _run("token", "bogus")[2]  # no misplaced option: the subcommand is wrong
    _env_language(monkeypatch, "en_US.UTF-8")
    code, _out, message = _run("audit", "--days", "200")
    assert code == 2 and "--days is an option of purge" in message and not CJK.search(message), message


def test_token_and_audit_messages_follow_the_shells_language(monkeypatch, db):
    _env_language(monkeypatch, "zh_CN.UTF-8")
    assert _run("token", "create", "nobody")[::2] == (1, "没有在用的用户“nobody”")
    assert _run("token", "create", "nobody", "--scope", "all")[2].startswith("--scope 只能是 read、alerts、full")
    assert _run("audit", "purge", "--days", "3")[::2] == (2, "审计事件至少保留 180 天（给出的是 3）")
    assert _run("audit", "purge", "--days", "400")[1].startswith("无需删除（没有早于 ")
    _env_language(monkeypatch, "en_US.UTF-8")
    assert _run("token", "revoke", "nothing")[::2] == (1, "no single active token with that prefix")
    assert _run("audit", "purge", "--days", "3")[2] == "audit events are kept at least 180 days (asked: 3)"


def test_reword_argparse_error_leaves_what_it_does_not_know():
    from django.utils import translation

    from tongpin.core.commandbase import reword_argparse_error

    with translation.override("zh-hans"):
        assert reword_argparse_error("argument -x: expected one argument") == "参数 -x：需要一个值"
        assert reword_argparse_error("something argparse says one day") == "something argparse says one day"


@pytest.mark.django_db(False)
def test_an_unknown_command_is_refused_as_unknown_before_any_database(tmp_path):
    """A user trial: `tongpin bogus` exited 1 with Django's English text, or said the database had no tables."""
    zh = {"LANG": "zh_CN.UTF-8", "LANGUAGE": "", "LC_ALL": ""}
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "tongpin.sqlite3").touch()  # a database file without tables
    for home in ({}, {"TONGPIN_HOME": str(stale)}):
        for args in (("bogus", "--json"), ("help", "bogus")):
            done = _tongpin(tmp_path, *args, **zh, **home)
            assert done.returncode == 2 and done.stdout == "", done.stderr
            assert done.stderr == "tongpin: 没有名为“bogus”的命令（命令列表见 tongpin help）\n"
    assert not (tmp_path / "data").exists() and not (tmp_path / "home").exists()  # nothing created
    done = _tongpin(tmp_path, "chek", LANG="en_US.UTF-8", LANGUAGE="", LC_ALL="")
    assert done.returncode == 2 and "no command named 'chek'" in done.stderr and "tongpin check?" in done.stderr
    assert not CJK.search(done.stderr)


def test_the_commands_known_before_the_settings_are_the_ones_django_runs():
    from django.core.management import get_commands

    from tongpin.cli import known_commands

    assert os.environ["DJANGO_SETTINGS_MODULE"] == "tongpin.settings"  # the path that reads no settings
    assert known_commands() == set(get_commands())


def test_keys_status_before_any_secret_is_sealed_says_the_key_comes_later_not_a_problem(
    settings, monkeypatch, tmp_path
):
    """A user trial: a fresh home's `keys status` printed 问题：no data key … (English, and no problem at all)."""
    from django.utils import translation

    from tongpin.core import datakey
    from tongpin.web.management.commands.keys import _status_lines

    monkeypatch.delenv(datakey.ENV, raising=False)
    settings.HOME = tmp_path  # no key file either
    fresh = {"source": "", "cipher": "AES-256-GCM", "current": "", "keys": [], "problem": "no data key: …",
             "stores": {"channel_settings": {"plaintext": 1}, "totp_device_keys": {}}}  # fmt: skip
    with translation.override("zh-hans"):
        lines = _status_lines(fresh)
        assert "尚未生成数据密钥" in lines[1] and "no data key" not in "".join(lines), lines
        lost = {**fresh, "stores": {"channel_settings": {"k1": 2}}}  # values sealed, key gone: that is a problem
        assert _status_lines(lost)[1].startswith("问题：no data key")
        monkeypatch.setenv(datakey.ENV, "not a key")  # a key given but unreadable is a problem too
        broken = {**fresh, "problem": "malformed data key"}
        assert _status_lines(broken)[1] == "问题：malformed data key"


def test_keys_status_speaks_the_shells_language_and_reports_one_object(users, monkeypatch, tmp_path):
    """A user trial: `tongpin keys status` printed English to a Chinese shell."""
    from tongpin.core import datakey

    monkeypatch.setenv("TONGPIN_DATA_KEY", datakey.format_key(datakey.new_key()))
    datakey.forget_cache()
    try:
        _env_language(monkeypatch, "zh_CN.UTF-8")
        code, out, _err = _run("keys", "status")
        assert code == 0 and out.startswith("数据密钥：TONGPIN_DATA_KEY；加密算法 ") and "本机持有：" in out, out
        assert "channel_settings：" in out and "未保存任何密钥" in out
        code, out, _err = _run("keys", "status", "--json")
        document = _one_object(out)
        assert code == 0 and document["ok"] is True and document["missing"] == [] and document["source"] == "env"
        _env_language(monkeypatch, "en_US.UTF-8")
        code, out, _err = _run("keys", "status")
        assert code == 0 and out.startswith("data key: TONGPIN_DATA_KEY; cipher ") and not CJK.search(out), out
        assert "channel_settings: nothing stored" in out
        _env_language(monkeypatch, "zh_CN.UTF-8")
        code, out, _err = _run("keys", "rotate")
        assert code == 0 and out.startswith("新的数据密钥 ") and "TONGPIN_DATA_KEY 中删除" in out, out
    finally:
        datakey.forget_cache()
