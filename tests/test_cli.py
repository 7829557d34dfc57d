import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

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
    # Demo stories meant to be published go through the real pipeline: queued, then delivered by a worker.
    assert not Story.objects.filter(status="published").exists()
    from tongpin.publishing.dispatcher import Dispatcher
    from tongpin.publishing.models import Delivery

    assert Delivery.objects.filter(state="pending").exists()
    Dispatcher(threads=2, poll=0.01).run(once=True)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"success"}
    assert Story.objects.filter(status="published").exists()


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
    done = _tongpin(tmp_path, "token", "create", "admin")
    _assert_refused(done, default / "tongpin.sqlite3", "no database at")
    assert "per-user default" in done.stderr
    # Nothing was created: no data folder, no var/ in the current folder, nothing in the home folder.
    assert not (tmp_path / "data").exists() and not (tmp_path / "home").exists()
    assert list((tmp_path / "elsewhere").iterdir()) == []

    # ./var only when asked for, and refused the same way.
    done = _tongpin(tmp_path, "worker", "--batch", TONGPIN_HOME="var")
    _assert_refused(done, tmp_path / "elsewhere" / "var" / "tongpin.sqlite3", "no database at")
    assert list((tmp_path / "elsewhere").iterdir()) == []

    # A database file that exists but was never migrated (what older versions left behind).
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "tongpin.sqlite3").touch()
    done = _tongpin(tmp_path, "token", "list", TONGPIN_HOME=str(stale))
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
