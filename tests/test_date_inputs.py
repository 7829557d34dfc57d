"""Date inputs show their initial values: `<input type=date>` accepts only ISO dates, and a value in the
language's format (zh-hans: 2026/12/02) looks blank and then blocks the form as missing."""

import datetime as dt
import importlib
import inspect
import pkgutil
import re

from django import forms
from django.utils import timezone, translation

import tongpin

ISO = {"date": "2026-12-02", "datetime-local": "2026-12-02T09:30"}


def date_widgets():
    """(form, field name, input type, widget) for every date or datetime input of the app's forms."""
    for info in pkgutil.walk_packages(tongpin.__path__, "tongpin."):
        if not info.name.endswith(".forms"):
            continue
        module = importlib.import_module(info.name)
        for _, form in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form, forms.BaseForm) or form.__module__ != module.__name__:
                continue
            for name, field in form.base_fields.items():
                kind = field.widget.attrs.get("type") or getattr(field.widget, "input_type", "")
                if kind in ISO:
                    yield form, name, kind, field.widget


def test_every_date_input_renders_an_iso_value_in_chinese_and_english():
    found = list(date_widgets())
    assert len(found) >= 20  # the audit log, story list, analytics, partners, planning and live forms
    value = dt.datetime(2026, 12, 2, 9, 30)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for form, name, kind, widget in found:
                shown = widget.format_value(value.date() if kind == "date" else value)
                assert shown == ISO[kind], f"{form.__name__}.{name} renders {shown!r} in {language}"


def test_report_form_date_is_prefilled_with_today_as_iso(users, client_for):
    page = client_for("desk").get("/reports/").content.decode()
    date_input = re.search(r'<input type="date" name="date" value="([^"]*)"', page)
    assert date_input and date_input.group(1) == timezone.localdate().isoformat()
