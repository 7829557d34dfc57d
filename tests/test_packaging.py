"""What users install: the wheel must carry every file of the package (an editable install hides a missing
package-data pattern), and constraints.txt must pin every dependency pyproject.toml names."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

# Nothing here depends on the database: CI's PostgreSQL run skips this module (the SQLite run covers it).
pytestmark = pytest.mark.skipif(bool(os.environ.get("TONGPIN_DATABASE_URL")), reason="no database involved")

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "tongpin"
CACHES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


def source_files() -> set[str]:
    """Files of src/tongpin as wheel paths ("tongpin/..."), less caches and compiled bytecode."""
    return {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and not CACHES & set(path.parts) and path.suffix not in (".pyc", ".pyo")
    }


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory) -> set[str]:
    """Build the wheel as `pip wheel` does for a user, from a clean copy of the sources (~5–15 s)."""
    build = tmp_path_factory.mktemp("wheel")
    source = build / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns(*CACHES, "*.pyc", "*.egg-info"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(build / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [wheel] = (build / "dist").glob("tongpin-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if name.startswith("tongpin/")}


def test_the_wheel_carries_every_file_of_the_package(wheel_files):
    missing = sorted(source_files() - wheel_files)
    assert not missing, (
        f"not in the wheel (add a pattern to [tool.setuptools.package-data] in pyproject.toml): {missing}"
    )
    # The files this issue was about, by name: the CAP schema, the proofreading lists, a template, the locale.
    assert {
        "tongpin/alerts/cap/cap12.xsd",
        "tongpin/review/proofreading/data/typo.csv",
        "tongpin/locale/en/LC_MESSAGES/django.mo",
    } <= wheel_files


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_constraints_pin_every_dependency_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"] + project["optional-dependencies"]["test"])
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            name, _, version = line.partition("==")
            pinned[name.strip().lower().replace("_", "-")] = version.strip()
    missing = sorted(wanted - set(pinned))
    assert not missing, f"constraints.txt does not pin {missing}: run `bash scripts/lock.sh` and commit the result"
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", v) for v in pinned.values()), "only exact pins belong there"
