"""How large the API and page modules are for what they serve: lines, API operations and URL patterns.

    python scripts/api_size.py        (from the repository, with Tongpin installed; reads no database)

docs/architecture.md「What the layer bought, measured」 quotes it.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

MODULES = re.compile(r"(/api\.py|/api_[a-z]+\.py|/api/[a-z_]+\.py|/views\.py|_views\.py)$")
SOURCE = Path(__file__).resolve().parent.parent / "src" / "tongpin"


def module_lines() -> int:
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in SOURCE.rglob("*.py") if MODULES.search(str(p)))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")
    os.environ.setdefault("TONGPIN_HOME", tempfile.mkdtemp(prefix="tongpin-size-"))
    import django

    django.setup()
    from django.urls import get_resolver

    from tongpin.api import api

    paths = api.get_openapi_schema()["paths"].values()
    operations = sum(1 for path in paths for method in path if method in {"get", "post", "put", "patch", "delete"})

    def patterns(resolver) -> int:
        return sum(patterns(p) if hasattr(p, "url_patterns") else 1 for p in resolver.url_patterns)

    lines, routes = module_lines(), patterns(get_resolver())
    figures = f"lines {lines}  operations {operations}  url_patterns {routes}  lines_a_route {lines / routes:.1f}"
    sys.stdout.write(figures + "\n")


if __name__ == "__main__":
    main()
