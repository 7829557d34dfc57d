"""Translations chosen when a module is imported stay in the language of whoever imported it first: every text
built at import time must be lazy (gettext_lazy), so English readers get English."""

import ast
from pathlib import Path

from django.utils import translation

SOURCE = Path(__file__).resolve().parent.parent / "src" / "tongpin"
EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}


def _eager_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names |= {alias.asname or alias.name for alias in node.names if alias.name in EAGER}
    return names


def _calls_at_import(node: ast.AST, names: set[str]):
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return  # runs when called, in the caller's language
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
        yield node.lineno
    for child in ast.iter_child_nodes(node):
        yield from _calls_at_import(child, names)


def test_no_text_is_translated_when_a_module_is_imported():
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _eager_names(tree)
        for node in tree.body if names else []:
            found += [f"{path.relative_to(SOURCE)}:{line}" for line in _calls_at_import(node, names)]
    assert found == []


def test_the_live_session_buttons_speak_the_readers_language():
    from tongpin.live.models import SessionStatus
    from tongpin.live.services import MOVE_LABELS

    with translation.override("en"):
        assert str(MOVE_LABELS[SessionStatus.LIVE]) == "Go live"
    with translation.override("zh-hans"):
        assert str(MOVE_LABELS[SessionStatus.LIVE]) == "开播"
