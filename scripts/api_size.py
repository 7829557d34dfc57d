"""How large the API and page modules are for what they serve: lines, API operations and URL patterns.

    python scripts/api_size.py        (from the repository, with Tongpin installed; reads no database)
    python scripts/api_size.py --by-app   (lines and API operations of each app: to compare the same operations
                                           at two revisions, run it from a worktree of each)

docs/architecture.md「What the layer bought, measured」 quotes it.
"""

from __future__ import annotations

import collections
import os
import re
import sys
import tempfile
from pathlib import Path

MODULES = re.compile(r"(/api\.py|/api_[a-z]+\.py|/api/[a-z_]+\.py|/views\.py|_views\.py)$")
SOURCE = Path(__file__).resolve().parent.parent / "src" / "tongpin"


def lines_by_app() -> collections.Counter:
    """Lines of the API and page modules of each app (`tongpin/api.py` itself counts as "api")."""
    counted: collections.Counter = collections.Counter()
    for path in SOURCE.rglob("*.py"):
        if MODULES.search(str(path)):
            app = path.relative_to(SOURCE).parts[0].removesuffix(".py")
            counted[app] += len(path.read_text(encoding="utf-8").splitlines())
    return counted


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")
    os.environ.setdefault("TONGPIN_HOME", tempfile.mkdtemp(prefix="tongpin-size-"))
    import django

    django.setup()
    from django.urls import get_resolver

    from tongpin.api import api

    paths = api.get_openapi_schema()["paths"].values()
    verbs = [op for path in paths for method, op in path.items() if method in {"get", "post", "put", "patch", "delete"}]
    operations = len(verbs)
    lines = lines_by_app()
    if "--by-app" in sys.argv:
        # Operations counted by their first tag, which names the app (stories: newsroom, status: core).
        tags = collections.Counter({"stories": "newsroom", "status": "core"}.get(t, t) for t in
                                   (op.get("tags", ["api"])[0] for op in verbs))  # fmt: skip
        for app in sorted(lines):
            sys.stdout.write(f"{app:<12} lines {lines[app]:>5}  operations {tags.get(app, 0):>3}\n")

    def patterns(resolver) -> int:
        return sum(patterns(p) if hasattr(p, "url_patterns") else 1 for p in resolver.url_patterns)

    lines, routes = sum(lines.values()), patterns(get_resolver())
    figures = f"lines {lines}  operations {operations}  url_patterns {routes}  lines_a_route {lines / routes:.1f}"
    sys.stdout.write(figures + "\n")


if __name__ == "__main__":
    main()
