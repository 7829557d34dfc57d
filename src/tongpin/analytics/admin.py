from django.contrib import admin

from tongpin.core.admin_audit import AuditedModelAdmin

from .models import Account, PeerGroup

admin.site.register(PeerGroup, AuditedModelAdmin)


@admin.register(Account)
class AccountAdmin(AuditedModelAdmin):
    list_display = ("name", "platform", "group", "partner", "channel", "followers")
    list_filter = ("platform", "group")
