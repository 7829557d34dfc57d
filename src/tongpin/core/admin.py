from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import accounts, twofactor
from .admin_audit import AuditedModelAdmin, AuditedPasswordChange
from .audit import actor_from_request
from .models import ApiToken, AuditEvent, Station, User

# django-otp's own admin pages would show and edit second-factor secrets outside the audit log: an admin resets a
# person's second factor with the action on the user list instead.
for _model in (TOTPDevice, StaticDevice):
    try:
        admin.site.unregister(_model)
    except NotRegistered:
        pass


@admin.register(User)
class TongpinUserAdmin(AuditedPasswordChange, AuditedModelAdmin, UserAdmin):
    list_display = ("username", "display_name", "role", "is_active", "two_factor", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = UserAdmin.fieldsets + (("Tongpin", {"fields": ("role", "display_name", "station")}),)
    actions = ["reset_two_factor", "enable_accounts"]

    @admin.display(description=_("两步验证"), boolean=True)
    def two_factor(self, user) -> bool:
        return twofactor.enrolled(user)

    @admin.action(description=_("重置两步验证（手机和恢复码都丢失时）"))
    def reset_two_factor(self, request, queryset):
        actor = actor_from_request(request)
        for user in queryset:
            twofactor.remove(actor, user, by_admin=True)
        done = gettext("已重置 %(n)d 个账号的两步验证。") % {"n": queryset.count()}
        self.message_user(request, done, messages.SUCCESS)

    @admin.action(description=_("重新启用所选账号"))
    def enable_accounts(self, request, queryset):
        actor = actor_from_request(request)
        enabled = sum(accounts.enable(actor, user) for user in queryset)
        self.message_user(request, gettext("已重新启用 %(n)d 个账号。") % {"n": enabled}, messages.SUCCESS)


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
