from django.contrib import admin

from tongpin.core.admin_audit import AuditedModelAdmin

from .models import Agreement, Commitment, Contact, Liaison, Partner


@admin.register(Partner)
class PartnerAdmin(AuditedModelAdmin):
    list_display = ("name", "short_name", "kind", "slug")
    prepopulated_fields = {"slug": ("short_name",)}


@admin.register(Liaison)
class LiaisonAdmin(AuditedModelAdmin):
    list_display = ("user", "partner", "title")


admin.site.register(Contact, AuditedModelAdmin)
admin.site.register(Agreement, AuditedModelAdmin)
admin.site.register(Commitment, AuditedModelAdmin)
