import re

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from .auditlabels import action_choices, object_type_label


def _action_choices() -> list:
    return [("", _("全部")), *action_choices()]


def _object_type_choices() -> list[tuple[str, str]]:
    found = {m._meta.label_lower for m in apps.get_models() if m.__module__.startswith("tongpin.")}
    return [("", _("全部")), *sorted(((t, object_type_label(t)) for t in found), key=lambda c: c[1])]


# Date inputs render ISO values: `<input type=date>` (and datetime-local) accept nothing else, and Django would
# otherwise render an initial date in the language's format (zh-hans: 2026/12/02), which the browser shows as
# blank and then refuses as missing.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作人账号"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("操作"), required=False, choices=_action_choices)
    object_type = forms.ChoiceField(label=_("对象类型"), required=False, choices=_object_type_choices)
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DATE)


class AuditExportForm(forms.Form):
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DATE)
    format = forms.ChoiceField(
        label=_("格式"), choices=[("jsonl", _("JSON Lines（可独立校验）")), ("csv", _("CSV 表格"))], initial="jsonl"
    )


SPLIT = r"[,，、;；\s]+"


class ListField(forms.CharField):
    """Several short words typed in one box, separated by commas, 、 or spaces; cleaned to a list."""

    def prepare_value(self, value):
        return "、".join(str(v) for v in value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part for part in re.split(SPLIT, text) if part]


class MonthsField(ListField):
    def to_python(self, value):
        months = []
        for part in super().to_python(value):
            if not part.isdigit() or not 1 <= int(part) <= 12:
                raise forms.ValidationError(_("月份须为 1–12 的数字。"))
            months.append(int(part))
        return sorted(set(months))


def form_page(request, form, save, done, template: str = "web/form.html", context: dict | None = None,
              success: str | None = None):  # fmt: skip
    """Show `form`; on a valid POST call `save(cleaned_data)` and go to `done(saved)`, saying `success` (default
    已保存。). A refusal from the services lands on its field (or on top of the form) and keeps what was typed."""
    from django.shortcuts import redirect, render

    from .pages import attempt

    if request.method == "POST" and form.is_valid():
        outcome = attempt(request, lambda _actor: save(form.cleaned_data), success or _("已保存。"), form=form)
        if outcome.ok:
            return redirect(done(outcome.value))
    return render(request, template, {"form": form, **(context or {})})


def edit_page(request, model, pk, form_class, save, done, titles: tuple[str, str], back: str, find=None,
              initial: dict | None = None):  # fmt: skip
    """The add/edit page of a record: `find(user, pk)` (a scoped lookup) or else 404 for an unknown id, the form on
    a copy (so the service sees what changed), `save(actor, values, instance_or_None)`, then `done(saved)`.
    Callers check the capability first."""
    import copy

    from django.http import Http404

    from .audit import actor_from_request

    if find is not None:
        instance = find(request.user, pk) if pk else None
    else:
        instance = model.objects.filter(pk=pk).first() if pk else None
        if pk and instance is None:
            raise Http404
    actor = actor_from_request(request)
    return form_page(
        request,
        form_class(request.POST or None, request.FILES or None, instance=copy.copy(instance), initial=initial),
        lambda values: save(actor, values, instance),
        done,
        context={"title": titles[1] if instance else titles[0], "back": back},
    )
