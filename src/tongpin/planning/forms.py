"""Planning forms: type-checking only; the rules live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tongpin.core.forms import ListField
from tongpin.partners.forms import DATE, DATETIME, staff_users
from tongpin.partners.models import Partner, PublicityRequest
from tongpin.publishing.kinds import ChannelKind

from .models import Assignment, Campaign, Event, EventTask, KeyDate, Topic


def _channels(label, required=False):
    return forms.MultipleChoiceField(
        label=label, choices=ChannelKind.choices, required=required, widget=forms.CheckboxSelectMultiple
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleaned to a list (possibly empty)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class RequestForm(forms.ModelForm):
    channels = _channels(_("希望渠道"))
    attachments = MultipleFileField(
        label=_("材料"),
        required=False,
        help_text=_("最多 5 个文件，每个不超过 10 MB，合计不超过 20 MB（PDF、Office 文档、图片、音视频）"),
    )

    class Meta:
        model = PublicityRequest
        fields = ["partner", "title", "description", "purpose", "wanted_from", "wanted_by", "channels"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "purpose": forms.Textarea(attrs={"rows": 2}),
            "wanted_from": DATE,
            "wanted_by": DATE,
        }

    def __init__(self, *args, staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if staff:
            self.fields["partner"].queryset = Partner.objects.filter(archived_at__isnull=True)
        else:
            del self.fields["partner"]  # a liaison files for their own partner, whatever is posted


class AcceptForm(forms.Form):
    # The button says 纳入策划 (accept into planning); this picks the campaign the new topic belongs to, if any.
    campaign = forms.ModelChoiceField(
        label=_("所属策划"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("不归入任何策划（单独的选题）"),
        help_text=_("纳入后生成的选题归入哪个策划；可以不选"),
    )
    note = forms.CharField(label=_("处理意见"), required=False, max_length=300)

    def __init__(self, *args, partner: Partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.filter(partner__in=[partner]).exclude(state="archived") | (
            Campaign.objects.filter(partner__isnull=True).exclude(state="archived")
        )


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("未采纳理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": _("请写明未采纳的理由。")})  # fmt: skip


class KeyDateForm(forms.ModelForm):
    tags = ListField(label=_("领域标签"), required=False)

    class Meta:
        model = KeyDate
        fields = [
            "name",
            "kind",
            "month",
            "day",
            "end_month",
            "end_day",
            "starts_on",
            "ends_on",
            "lead_days",
            "partner",
            "tags",
            "description",
            "is_active",
        ]
        widgets = {"starts_on": DATE, "ends_on": DATE, "description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "month": _("每年重复的节点填月、日（跨时段的再填结束月、日，例如汛期 4 月 1 日至 9 月 30 日）"),
            "starts_on": _("单次节点（如博览会）填开始、结束日期"),
        }


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["title", "partner", "key_date", "commitment", "starts_on", "ends_on", "owner", "state", "description"]
        widgets = {"starts_on": DATE, "ends_on": DATE, "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        self.fields["commitment"].queryset = self.fields["commitment"].queryset.select_related("agreement__partner")
        self.fields["commitment"].label_from_instance = lambda c: f"{c.agreement.partner}：{c.title}"


class TopicForm(forms.ModelForm):
    channels = _channels(_("拟发渠道"))

    class Meta:
        model = Topic
        fields = ["title", "campaign", "partner", "due_on", "channels", "description"]
        widgets = {"due_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}


class AssignmentForm(forms.ModelForm):
    channels = _channels(_("需覆盖渠道"))

    class Meta:
        model = Assignment
        fields = ["assignee", "role", "due_at", "starts_at", "ends_at", "channels", "brief"]
        widgets = {
            "due_at": DATETIME,
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "brief": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"starts_at": _("外采、直播等需要占用人员时填写，用于发现撞档")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["title", "partner", "campaign", "starts_on", "ends_on", "place", "owner", "state", "description"]
        widgets = {"starts_on": DATE, "ends_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


class TaskForm(forms.ModelForm):
    class Meta:
        model = EventTask
        fields = ["title", "is_milestone", "owner", "due_on"]
        widgets = {"due_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
