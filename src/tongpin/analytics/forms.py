from django import forms
from django.utils.translation import gettext_lazy as _

from tongpin.core.forms import DATE

from .formats import FORMATS
from .indices import WCI_FORMULAS
from .models import Account, PeerGroup
from .periods import KINDS
from .reports import PERIODS


class ImportForm(forms.Form):
    format = forms.ChoiceField(label=_("格式"))
    file = forms.FileField(label=_("文件"), help_text=_("CSV（UTF-8 或 GBK）或 XLSX，不超过 20 MB"))
    accept_partial = forms.BooleanField(label=_("有错误行时仍导入其余各行"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [(f.name, f.label) for f in FORMATS.values()]


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["platform", "name", "external_id", "group", "partner", "channel", "followers"]


class GroupForm(forms.ModelForm):
    class Meta:
        model = PeerGroup
        fields = ["name", "platform", "description"]


class RankingForm(forms.Form):
    group = forms.ModelChoiceField(label=_("排名分组"), queryset=PeerGroup.objects.all(), required=False)
    period = forms.ChoiceField(label=_("周期"), choices=[(k, k) for k in KINDS if k != "custom"], required=False)
    date = forms.DateField(label=_("日期"), required=False, widget=DATE)
    formula = forms.ChoiceField(label=_("WCI 版本"), choices=[(f, f) for f in WCI_FORMULAS], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("day", _("日榜")), ("week", _("周榜（周日至周六）")), ("month", _("月榜"))]


class FiguresForm(forms.Form):
    observed_on = forms.DateField(label=_("数据日期"), widget=DATE)
    reads = forms.IntegerField(label=_("阅读/播放"), min_value=0)
    likes = forms.IntegerField(label=_("点赞"), min_value=0, initial=0)
    wows = forms.IntegerField(label=_("在看"), min_value=0, initial=0)
    shares = forms.IntegerField(label=_("转发/分享"), min_value=0, initial=0)
    comments = forms.IntegerField(label=_("评论"), min_value=0, initial=0)


class ReportForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("合作方"), queryset=None)
    period = forms.ChoiceField(label=_("周期"))
    date = forms.DateField(label=_("所在日期"), widget=DATE,
                           help_text=_("报告覆盖该日期所在的月、季度或年"))  # fmt: skip

    def __init__(self, *args, **kwargs):
        from tongpin.partners.models import Partner

        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(archived_at__isnull=True)
        labels = {"month": _("月度"), "quarter": _("季度"), "year": _("年度")}
        self.fields["period"].choices = [(p, labels[p]) for p in PERIODS]
