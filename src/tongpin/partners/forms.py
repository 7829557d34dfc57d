"""Forms for cooperation records. They only type-check what was typed; the rules live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tongpin.core import roles
from tongpin.core.forms import DATE, DATETIME, ListField, MonthsField
from tongpin.core.models import User

from .measures import MEASURES
from .models import ActionItem, Agreement, Commitment, Contact, Meeting, Partner


def staff_users():
    """The station's people who can be given work — owners, assignees (roles.ASSIGNMENT_TAKE): not liaisons or
    sender accounts, and not the 三员 administrators, who do no newsroom work."""
    return User.objects.filter(is_active=True, role__in=roles.roles_with(roles.ASSIGNMENT_TAKE)).order_by("username")


class PartnerForm(forms.ModelForm):
    owners = forms.ModelMultipleChoiceField(
        label=_("台内负责人"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Partner
        fields = ["slug", "name", "short_name", "kind", "description", "owners"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = staff_users()
        if self.instance.pk:
            self.fields["slug"].disabled = True


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email", "is_primary"]


class AgreementForm(forms.ModelForm):
    areas = ListField(label=_("合作领域"), required=False, help_text=_("用顿号或逗号分隔，例如：安全生产、防汛抗旱"))
    attachment_upload = forms.FileField(
        label=_("协议扫描件"), required=False, help_text=_("PDF、JPG 或 PNG，不超过 20 MB")
    )

    class Meta:
        model = Agreement
        fields = ["title", "number", "signed_on", "starts_on", "ends_on", "status", "areas", "principles"]
        widgets = {
            "signed_on": DATE,
            "starts_on": DATE,
            "ends_on": DATE,
            "principles": forms.Textarea(attrs={"rows": 4}),
        }


class CommitmentForm(forms.ModelForm):
    measure = forms.ChoiceField(label=_("统计口径"))
    tags = ListField(label=_("领域标签"), required=False, help_text=_("只统计带有其中任一标签的稿件；留空则不限"))
    channel_kinds = forms.MultipleChoiceField(
        label=_("渠道类型"), required=False, widget=forms.CheckboxSelectMultiple, help_text=_("留空则不限渠道")
    )
    min_channels = forms.IntegerField(label=_("至少覆盖渠道数"), required=False, min_value=0, max_value=100, initial=0)
    active_months = MonthsField(
        label=_("适用月份"), required=False, help_text=_("例如汛期 4、5、6、7、8、9；留空为全年")
    )

    class Meta:
        model = Commitment
        fields = [
            "title",
            "measure",
            "target",
            "period",
            "tags",
            "channel_kinds",
            "min_channels",
            "active_months",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [(m.name, m.label) for m in MEASURES.values()]
        kinds = {}
        for measure in MEASURES.values():
            kinds.update(dict(measure.kind_choices))
        self.fields["channel_kinds"].choices = list(kinds.items())

    def clean_min_channels(self):
        return self.cleaned_data.get("min_channels") or 0


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["kind", "title", "held_at", "place", "participants", "minutes", "decisions"]
        widgets = {
            "held_at": DATETIME,
            "participants": forms.Textarea(attrs={"rows": 2}),
            "minutes": forms.Textarea(attrs={"rows": 5}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }


class ActionForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["title", "owner", "due_on", "meeting"]
        widgets = {"due_on": DATE}

    def __init__(self, *args, partner: Partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        self.fields["meeting"].queryset = partner.meetings.all()
        self.fields["meeting"].required = False


class RenewForm(forms.Form):
    starts_on = forms.DateField(label=_("新协议生效日期"), widget=DATE)
    ends_on = forms.DateField(label=_("新协议到期日期"), widget=DATE)
