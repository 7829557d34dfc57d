from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import dormancy, roles, twofactor
from .accounts import assignment_errors
from .admin_audit import AuditedModelAdmin, AuditedPasswordChange
from .audit import actor_from_request, record
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
    """Accounts (三员分立, core/accounts.py): system administrators add and edit accounts but not their roles, and
    not the accounts of the three administrators or of break-glass superusers; security administrators assign
    roles, under the separation rules. Superuser, groups and permissions are never edited here (roles decide;
    break-glass superusers are made on the command line)."""

    list_display = ("username", "display_name", "role", "is_active", "two_factor", "is_superuser", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("first_name", "last_name", "email")}),
        (_("状态"), {"fields": ("is_active", "last_login", "date_joined")}),
        ("Tongpin", {"fields": ("role", "display_name", "station")}),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ["reset_two_factor", "enable_accounts"]

    @admin.display(description=_("两步验证"), boolean=True)
    def two_factor(self, user) -> bool:
        return twofactor.enrolled(user)

    @admin.action(description=_("重置两步验证（手机和恢复码都丢失时）"))
    def reset_two_factor(self, request, queryset):
        if not (request.user.is_superuser or roles.can(request.user, roles.TWO_FACTOR_RESET)):
            self.message_user(request, gettext("只有安全管理员可以重置两步验证。"), messages.ERROR)
            return
        actor = actor_from_request(request)
        for user in queryset:
            twofactor.remove(actor, user, by_admin=True)
        done = gettext("已重置 %(n)d 个账号的两步验证。") % {"n": queryset.count()}
        self.message_user(request, done, messages.SUCCESS)

    @admin.action(description=_("重新启用所选账号"))
    def enable_accounts(self, request, queryset):
        actor = actor_from_request(request)
        enabled = sum(dormancy.enable(actor, user) for user in queryset)
        self.message_user(request, gettext("已重新启用 %(n)d 个账号。") % {"n": enabled}, messages.SUCCESS)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not roles.can(request.user, roles.ROLE_ASSIGN) and not request.user.is_superuser:
            fields.append("role")
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and roles.can(request.user, roles.USER_MANAGE):
            if obj.role in roles.SEPARATED_ROLES or obj.is_superuser:  # the overseers are not the system admin's
                return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        actor_user = request.user

        class CheckedRole(form):
            def clean(self):
                data = super().clean()
                role = data.get("role")
                if obj is not None and role and role != obj.role:
                    errors = assignment_errors(None if actor_user.is_superuser else actor_user, obj, role)
                    if errors:
                        raise ValidationError(str(errors[0].message))
                return data

        return CheckedRole

    def save_model(self, request, obj, form, change):
        old = type(obj).objects.filter(pk=obj.pk).values_list("role", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        if change and old != obj.role:
            changes = {"user": obj.username, "role": [old, obj.role]}
            record(actor_from_request(request), "user.role_change", obj, changes)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "at", "actor_name", "action", "object_type", "object_repr", "ip", "via")
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
    """Tokens are made by `tongpin token create` (ApiToken.issue), which shows the secret once: a token added
    here would have no secret, no prefix and never work, so the admin only lists, edits and removes them (set
    撤销时间 to revoke). The secret material (prefix, hash) is never edited, nor the token's user: moving a token
    to another account would hand its holder that account's reach."""

    list_display = ("name", "user", "prefix", "scope", "expires_at", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


admin.site.register(Station, AuditedModelAdmin)

# The admin site under Tongpin's name, as the nav's 系统管理 link calls it (not "Django 管理").
admin.site.site_header = _("同频 系统管理")
admin.site.site_title = _("同频 系统管理")
admin.site.index_title = _("系统管理")
