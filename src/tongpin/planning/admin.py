from django.contrib import admin

from tongpin.core.admin_audit import AuditedModelAdmin

from .models import Assignment, Campaign, Event, KeyDate, Topic

admin.site.register(Campaign, AuditedModelAdmin)
admin.site.register(Topic, AuditedModelAdmin)
admin.site.register(KeyDate, AuditedModelAdmin)
admin.site.register(Assignment, AuditedModelAdmin)
admin.site.register(Event, AuditedModelAdmin)
