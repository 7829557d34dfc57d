from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tongpin.core.errors import DomainError
from tongpin.core.files import check_upload
from tongpin.core.forms import ListField
from tongpin.core.models import User
from tongpin.partners.forms import DATE, DATETIME, staff_users
from tongpin.partners.models import Partner

from .models import Anchor, LiveSession, Product, ProductDocument, Qualification


def _checked(upload):
    """A scan that is really a PDF, JPEG or PNG of at most 10 MB (the refusal shown on the field)."""
    if not upload:
        return upload
    try:
        return check_upload(upload)
    except DomainError as error:
        raise forms.ValidationError([str(item.message) for item in error.errors]) from error


def enterprises():
    return Partner.objects.filter(kind=Partner.Kind.ENTERPRISE, archived_at__isnull=True)


class AnchorForm(forms.ModelForm):
    skills = ListField(label=_("擅长"), required=False)
    categories = ListField(label=_("带货品类"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A host's login is someone who can be given work (their assignments are checked against sessions): not a
        # 三员 administrator, a liaison or a warning agency's sender account. One already linked stays choosable.
        linked = User.objects.filter(pk=self.instance.user_id) if self.instance.user_id else User.objects.none()
        self.fields["user"].queryset = (staff_users() | linked).distinct()

    class Meta:
        model = Anchor
        fields = ["name", "user", "birth_date", "guardian_consent", "skills", "categories", "is_active"]
        widgets = {"birth_date": DATE}


class QualificationForm(forms.ModelForm):
    def clean_document(self):
        return _checked(self.cleaned_data.get("document"))

    class Meta:
        model = Qualification
        fields = ["field", "number", "expires_on", "document"]
        widgets = {"expires_on": DATE}


class _CurrentImage:
    """The stored picture as the file input shows it: a link to the checked view, not to the (unrouted) media."""

    def __init__(self, url: str):
        self.url = url

    def __str__(self) -> str:
        return str(_("当前图片"))


class ProductImageInput(forms.ClearableFileInput):
    shown_url = ""

    def format_value(self, value):
        return _CurrentImage(self.shown_url) if self.is_initial(value) and self.shown_url else None


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["partner", "name", "price", "specification", "category", "needs", "claims", "image", "is_active"]
        widgets = {"claims": forms.Textarea(attrs={"rows": 3}), "image": ProductImageInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = enterprises()
        if self.instance.pk and self.instance.image:
            self.fields["image"].widget.shown_url = reverse("live-product-image", args=[self.instance.pk])


class DocumentForm(forms.ModelForm):
    class Meta:
        model = ProductDocument
        fields = ["kind", "number", "expires_on", "file"]
        widgets = {"expires_on": DATE}

    def clean_file(self):
        return _checked(self.cleaned_data.get("file"))


class SessionForm(forms.ModelForm):
    hosts = forms.ModelMultipleChoiceField(label=_("主播"), queryset=Anchor.objects.none(),
                                           widget=forms.CheckboxSelectMultiple)  # fmt: skip
    assistants = forms.ModelMultipleChoiceField(label=_("助播"), queryset=Anchor.objects.none(), required=False,
                                                widget=forms.CheckboxSelectMultiple)  # fmt: skip
    products = forms.ModelMultipleChoiceField(
        label=_("商品"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("新选的商品按列表顺序排在流程单最后，讲解要点取商品卖点；已排入的保持原顺序和时长"),
    )

    class Meta:
        model = LiveSession
        fields = ["title", "partner", "platform", "account", "studio", "starts_at", "ends_at", "script"]
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME, "script": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = enterprises()
        anchors = Anchor.objects.filter(is_active=True)
        self.fields["hosts"].queryset = anchors
        self.fields["assistants"].queryset = anchors
        self.fields["products"].queryset = Product.objects.filter(is_active=True).select_related("partner")
        self.fields["products"].label_from_instance = lambda p: f"{p.partner}：{p.name}（¥{p.price}）"


class ResultForm(forms.Form):
    viewers = forms.IntegerField(label=_("观看人数"), min_value=0)
    peak_concurrent = forms.IntegerField(label=_("最高在线"), min_value=0)
    avg_watch_seconds = forms.IntegerField(label=_("人均观看时长（秒）"), min_value=0)
    orders = forms.IntegerField(label=_("订单数"), min_value=0)
    gmv = forms.DecimalField(label=_("成交额（元）"), min_value=0, decimal_places=2)
    refunds = forms.DecimalField(label=_("退款额（元）"), min_value=0, decimal_places=2, initial=0)


class ResultsImportForm(forms.Form):
    file = forms.FileField(label=_("数据文件"), help_text=_("CSV 或 XLSX；任何一行有错则整份文件不导入"))
