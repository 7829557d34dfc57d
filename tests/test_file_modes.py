"""Files at rest (issue 20, item 13): the home folder, the SQLite database and uploads are the service's alone."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from tongpin.newsroom.assets import attach_asset

from .conftest import actor, new_story
from .test_assets import png

ROOT = Path(__file__).resolve().parent.parent


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_home_and_its_database_are_private(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGPIN_")}
    env.update(TONGPIN_HOME=str(home), PYTHONPATH=str(ROOT / "src"))
    subprocess.run([sys.executable, "-m", "tongpin", "migrate", "--noinput", "-v", "0"], env=env, check=True,
                   timeout=300, cwd=tmp_path)  # fmt: skip
    assert _mode(home) == 0o700
    database = home / "tongpin.sqlite3"
    assert database.stat().st_size > 0 and _mode(database) == 0o600
    for companion in home.glob("tongpin.sqlite3*"):  # -wal, -shm, the writers' lock
        assert _mode(companion) & 0o077 == 0, companion.name


def test_uploads_and_their_folders_are_private(users, settings):
    story = new_story(users["reporter"])
    asset = attach_asset(actor(users["reporter"]), story.pk, SimpleUploadedFile("现场.png", png()))
    stored = Path(asset.file.path)
    assert _mode(stored) == 0o600 and _mode(Path(asset.thumbnail.path)) == 0o600
    folder = stored.parent
    while folder != Path(settings.MEDIA_ROOT).parent:
        assert _mode(folder) == 0o700, folder
        folder = folder.parent
