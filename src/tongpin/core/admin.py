from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .admin_audit import AuditedModelAdmin, AuditedPasswordChange
from .models import ApiToken, AuditEvent, Station, User


@admin.register(User)
class TongpinUserAdmin(AuditedPasswordChange, AuditedModelAdmin, UserAdmin):
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = UserAdmin.fieldsets + (("Tongpin", {"fields": ("role", "display_name", "station")}),)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "object_type", "object_repr", "ip", "via")
    list_filter = ("action", "via")
    search_fields = ("actor_name", "object_repr", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    list_display = ("name", "user", "prefix", "scope", "expires_at", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")


admin.site.register(Station, AuditedModelAdmin)
