"""Warning settings in the Django admin (every change audited): sender bindings and certificates, the release
policy and channel coverage."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core.admin_audit import AuditedModelAdmin

from . import lane_config
from .models import Coverage, DutyContact, DutyShift, PagingRoute, ReleasePolicy, SenderCertificate, SenderIdentity


def _refuse(errors) -> None:
    if errors:
        raise forms.ValidationError([str(error.message) for error in errors])


class SenderCertificateForm(forms.ModelForm):
    """The same checks as the settings page (lane_config.add_certificate): a PEM certificate, valid now."""

    class Meta:
        model = SenderCertificate
        fields = ("sender", "pem", "note")

    def clean_pem(self) -> str:
        pem = self.cleaned_data["pem"].strip().replace("\r\n", "\n") + "\n"
        if "PRIVATE KEY" in pem:
            raise forms.ValidationError(_("请只上传证书，不要上传私钥。"))
        try:
            info = lane_config.certificate_info(pem)
        except ValueError:
            raise forms.ValidationError(_("无法读取证书：请上传 PEM 格式的 X.509 证书。")) from None
        if info.not_after <= timezone.now():
            raise forms.ValidationError(_("证书已于 %(d)s 过期。") % {"d": info.not_after.strftime("%Y-%m-%d")})
        return pem


class CoverageForm(forms.ModelForm):
    """The same checks as the settings page (lane_config.save_coverage): known codes, valid rings."""

    class Meta:
        model = Coverage
        fields = ("channel", "area_codes", "polygons", "everywhere", "min_level", "accepts_restricted")

    def clean_area_codes(self) -> list[str]:
        value = self.cleaned_data.get("area_codes") or []
        codes, errors = lane_config.clean_codes(value if isinstance(value, list) else [value])
        _refuse(errors)
        return codes

    def clean_polygons(self) -> list:
        value = self.cleaned_data.get("polygons") or []
        polygons, errors = lane_config.clean_polygons(value if isinstance(value, list) else [value])
        _refuse(errors)
        return polygons


@admin.register(SenderIdentity)
class SenderIdentityAdmin(AuditedModelAdmin):
    list_display = ("user", "sender", "note", "added_at")
    search_fields = ("user__username", "sender")
    readonly_fields = ("added_at",)


@admin.register(SenderCertificate)
class SenderCertificateAdmin(AuditedModelAdmin):
    form = SenderCertificateForm
    list_display = ("sender", "note", "added_at")
    search_fields = ("sender",)
    readonly_fields = ("added_at",)


@admin.register(ReleasePolicy)
class ReleasePolicyAdmin(AuditedModelAdmin):
    list_display = ("name", "sender", "min_level", "action", "escalate_after", "position", "is_active")
    list_editable = ("position", "is_active")


@admin.register(Coverage)
class CoverageAdmin(AuditedModelAdmin):
    form = CoverageForm
    list_display = ("channel", "everywhere", "min_level", "accepts_restricted")
    list_filter = ("accepts_restricted", "everywhere")


# -- waking the duty officer (issue 16) -------------------------------------------------------------------------


@admin.register(DutyShift)
class DutyShiftAdmin(AuditedModelAdmin):
    list_display = ("starts_at", "ends_at", "officer", "backup", "chief", "note")
    list_filter = ("officer",)
    date_hierarchy = "starts_at"


@admin.register(DutyContact)
class DutyContactAdmin(AuditedModelAdmin):
    list_display = ("user", "mobile")


class PagingRouteForm(forms.ModelForm):
    """The secret is written, never shown: an empty field keeps the stored one (unless the URL changes)."""

    secret = forms.CharField(label=gettext_lazy("密钥"), required=False, widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = PagingRoute
        fields = ("name", "kind", "url", "secret", "is_active")

    def clean_secret(self) -> str:
        entered = self.cleaned_data.get("secret", "")
        if entered or self.instance.pk is None:
            return entered
        if self.instance.url != self.data.get("url", self.instance.url):
            return ""  # never send the old secret to a new address
        return self.instance.secret


@admin.register(PagingRoute)
class PagingRouteAdmin(AuditedModelAdmin):
    form = PagingRouteForm
    list_display = ("name", "kind", "is_active", "last_ok_at", "last_error_at")
