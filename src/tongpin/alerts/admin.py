"""Warning settings in the Django admin (every change audited): sender bindings and certificates, the release
policy and channel coverage."""

from django.contrib import admin

from tongpin.core.admin_audit import AuditedModelAdmin

from .models import Coverage, ReleasePolicy, SenderCertificate, SenderIdentity


@admin.register(SenderIdentity)
class SenderIdentityAdmin(AuditedModelAdmin):
    list_display = ("user", "sender", "note", "added_at")
    search_fields = ("user__username", "sender")
    readonly_fields = ("added_at",)


@admin.register(SenderCertificate)
class SenderCertificateAdmin(AuditedModelAdmin):
    list_display = ("sender", "note", "added_at")
    search_fields = ("sender",)
    readonly_fields = ("added_at",)


@admin.register(ReleasePolicy)
class ReleasePolicyAdmin(AuditedModelAdmin):
    list_display = ("name", "sender", "min_level", "action", "escalate_after", "position", "is_active")
    list_editable = ("position", "is_active")


@admin.register(Coverage)
class CoverageAdmin(AuditedModelAdmin):
    list_display = ("channel", "everywhere", "min_level", "accepts_restricted")
    list_filter = ("accepts_restricted", "everywhere")
