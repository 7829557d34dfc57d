"""Backup benchmark: time `tongpin backup` and `tongpin restore` on a story corpus plus uploaded files.

    python bench/backup.py --database sqlite --stories 200000 --files-mb 1024 --json
    python bench/backup.py --database postgresql --stories 200000 --files-mb 1024 --json

Builds the search benchmark's corpus (bench/corpus.py, indexed by the real `reindex_all()`) in a scratch home
(SQLite) or a scratch PostgreSQL database of its own (created and dropped here), writes M MB of incompressible
files of 1 MB into MEDIA_ROOT, then times the backup (in this process) and the restore into a second, empty home
and database (`python -m tongpin restore`, a subprocess: its time includes Django's start and the manifest check,
which re-reads every row count and re-hashes every file). `--json` prints one JSON object last.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from search import create_stories

SERVER = "postgresql://postgres@127.0.0.1:5432"
SRC = Path(__file__).resolve().parent.parent / "src"


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(statement)


def setup(database: str, home: Path) -> str | None:
    os.environ["TONGPIN_HOME"] = str(home)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongpin.settings"
    os.environ.pop("TONGPIN_MEDIA_ROOT", None)
    url = None
    if database == "postgresql":
        name = f"bench_backup_{uuid.uuid4().hex[:8]}"
        _admin(f'CREATE DATABASE "{name}"')
        url = f"{SERVER}/{name}"
        os.environ["TONGPIN_DATABASE_URL"] = url
    else:
        os.environ.pop("TONGPIN_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return url


def write_files(root: Path, megabytes: int) -> int:
    for n in range(megabytes):
        folder = root / "assets" / f"{n % 64:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file-{n}.bin").write_bytes(os.urandom(1024 * 1024))
    return megabytes * 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--stories", type=int, default=20000)
    parser.add_argument("--files-mb", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="tongpin-bench-backup-"))
    source_home, target_home = scratch / "source", scratch / "target"
    source_url = setup(args.database, source_home)
    target_url = None
    try:
        from django.conf import settings
        from django.db import connection

        from tongpin.newsroom.search.indexing import reindex_all
        from tongpin.web.backups import create_backup

        started = time.perf_counter()
        create_stories(args.stories, args.seed)
        reindex_all()
        file_bytes = write_files(Path(settings.MEDIA_ROOT), args.files_mb)
        prepare_s = time.perf_counter() - started

        started = time.perf_counter()
        archive, manifest = create_backup(scratch / "archives")
        backup_s = time.perf_counter() - started

        env = {k: v for k, v in os.environ.items() if not k.startswith("TONGPIN_")}
        env |= {"TONGPIN_HOME": str(target_home), "PYTHONPATH": str(SRC), "TONGPIN_LOG_LEVEL": "WARNING"}
        if args.database == "postgresql":
            target_url = f"{SERVER}/bench_backup_{uuid.uuid4().hex[:8]}"
            _admin(f'CREATE DATABASE "{target_url.rsplit("/", 1)[1]}"')
            env["TONGPIN_DATABASE_URL"] = target_url
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "tongpin", "restore", str(archive), "--json"], env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        restore_s = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"restore failed: {done.stderr}")
        checked = json.loads(done.stdout.strip().splitlines()[-1])
        result = {
            "database": connection.vendor,
            "stories": manifest["counts"]["newsroom_story"],
            "rows": sum(manifest["counts"].values()),
            "files": len(manifest["files"]),
            "file_mb": round(file_bytes / 1024 / 1024),
            "database_dump_mb": round(manifest["database"]["size"] / 1024 / 1024, 1),
            "archive_mb": round(archive.stat().st_size / 1024 / 1024, 1),
            "prepare_s": round(prepare_s, 1),
            "backup_s": round(backup_s, 2),
            "restore_s": round(restore_s, 2),
            "restore_checked": checked["ok"],
        }
        print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    finally:
        from django.db import connections

        connections.close_all()
        for url in (source_url, target_url):
            if url:
                _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
