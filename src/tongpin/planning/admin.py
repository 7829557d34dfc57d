from django.contrib import admin

from tongpin.core.admin_audit import AuditedModelAdmin

from .models import Campaign, Topic

admin.site.register(Campaign, AuditedModelAdmin)
admin.site.register(Topic, AuditedModelAdmin)
