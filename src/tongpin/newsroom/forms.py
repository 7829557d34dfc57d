"""Forms parse what the browser sends; the rules themselves live in stories.py and assets.py."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from tongpin.core.errors import DomainError
from tongpin.core.forms import DATE
from tongpin.core.models import User
from tongpin.core.pages import form_errors
from tongpin.partners.models import Partner
from tongpin.planning.models import Assignment
from tongpin.publishing.kinds import ChannelKind

from .models import Story, StoryStatus
from .stories import StoryInput, possible_authors


def _partner_choices():
    return [("", _("（无）"))] + [(p.slug, str(p)) for p in Partner.objects.order_by("name")]


class StoryForm(forms.Form):
    # Enter in the title goes on to the body (editor.js) instead of saving a draft of a title alone.
    title = forms.CharField(
        label=_("标题"), max_length=200, widget=forms.TextInput(attrs={"data-enter-to": "id_body_html"})
    )
    summary = forms.CharField(label=_("摘要"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    body_html = forms.CharField(label=_("正文"), required=False, widget=forms.Textarea(attrs={"rows": 16}))
    partner = forms.ChoiceField(label=_("合作方"), required=False)
    tags = forms.CharField(
        label=_("标签"),
        required=False,
        help_text=_("用逗号或空格分隔"),
        widget=forms.TextInput(attrs={"placeholder": "森林防火, 汛期"}),
    )
    authors = forms.ModelMultipleChoiceField(
        label=_("作者"),
        required=False,
        queryset=User.objects.none(),
        help_text=_("可多选；不选则保持不变（新建时为本人）"),
    )
    channel_intentions = forms.MultipleChoiceField(
        label=_("拟发渠道"), required=False, choices=ChannelKind.choices, widget=forms.CheckboxSelectMultiple
    )
    assignment = forms.TypedChoiceField(label=_("对应派单"), required=False, coerce=int, empty_value=None)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, current_assignment=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = _partner_choices()
        mine = Assignment.objects.filter(assignee=user, state__in=["assigned", "accepted"]) if user else []
        choices = {a.pk: str(a.topic) for a in mine.select_related("topic")} if user else {}
        if current_assignment is not None:
            choices[current_assignment.pk] = str(current_assignment.topic)
        self.fields["assignment"].choices = [("", _("（无）"))] + list(choices.items())
        self.fields["authors"].queryset = possible_authors().order_by("username")

    @classmethod
    def editing(cls, story: Story, data=None, user=None) -> "StoryForm":
        """The edit form of `story`: bound to what was posted (`data`), else filled with the story as it is."""
        initial = None if data is not None else {
            "title": story.title,
            "summary": story.summary,
            "body_html": story.body_html,
            "partner": story.partner.slug if story.partner_id else "",
            "tags": "，".join(t.name for t in story.tags.all()),
            "channel_intentions": story.channel_intentions,
            "version": story.version,
            "authors": list(story.authors.all()),
            "assignment": story.assignment_id,
        }  # fmt: skip
        return cls(data, initial=initial, user=user, current_assignment=story.assignment)

    def story_input(self) -> StoryInput:
        data = self.cleaned_data
        tags = [t for t in re.split(r"[,，、;；\s]+", data.get("tags", "")) if t]
        return StoryInput.of(
            title=data["title"],
            summary=data.get("summary", ""),
            body_html=data.get("body_html", ""),
            partner=data.get("partner") or "",
            tags=tags,
            channel_intentions=data.get("channel_intentions", []),
            assignment_id=data.get("assignment"),
            **({"author_ids": [a.pk for a in data["authors"]]} if data.get("authors") else {}),
        )

    def add_domain_errors(self, error: DomainError) -> None:
        form_errors(self, error)


class FilterForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=200)
    partner = forms.ChoiceField(label=_("合作方"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态"))] + StoryStatus.choices)
    author = forms.CharField(label=_("作者账号"), required=False, max_length=150)
    tag = forms.CharField(label=_("标签"), required=False, max_length=32)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DATE)

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", _("全部合作方"))] + [(p.slug, str(p)) for p in (partners or [])]


class AssetForm(forms.Form):
    file = forms.FileField(label=_("文件"))
    caption = forms.CharField(label=_("说明"), required=False, max_length=200)
