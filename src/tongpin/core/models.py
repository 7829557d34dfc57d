import hashlib
import secrets
import time
from binascii import unhexlify

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from . import auditlabels, datakey
from .roles import Role


class Station(models.Model):
    """A broadcaster (电视台/融媒体中心) whose staff use this Tongpin; one platform may serve several."""

    slug = models.SlugField(_("标识"), unique=True, max_length=64)
    name = models.CharField(_("名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=64, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("台站")
        verbose_name_plural = _("台站")

    def __str__(self) -> str:
        return self.short_name or self.name


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.REPORTER)
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    station = models.ForeignKey(
        Station,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("所属台站"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    # 三员分立: the separated administrator role this account has held (set once, never cleared), so that it can
    # never take another (core/accounts.py).
    duty_role = models.CharField(_("三员角色"), max_length=32, blank=True, editable=False)

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs):
        from .roles import SEPARATED_ROLES

        # Django admin access follows the role (what each role reaches there: roles.ADMIN_SITE). Superuser is
        # break-glass only (`tongpin createsuperuser`), never given by a role; its sign-ins are audited.
        self.is_staff = self.is_superuser or self.role in (Role.ADMIN, Role.SECURITY_ADMIN)
        if self.role in SEPARATED_ROLES and not self.duty_role:
            self.duty_role = self.role
        granted = self.is_superuser and (
            self.pk is None or not type(self).objects.filter(pk=self.pk, is_superuser=True).exists()
        )
        super().save(*args, **kwargs)
        if granted:
            from .audit import SYSTEM, record

            record(SYSTEM, "user.break_glass_granted", self, {"user": self.username})

    def has_perm(self, perm, obj=None) -> bool:
        from .roles import admin_site_allows

        if self.is_active and not self.is_superuser and "." in perm:
            app_label, _dot, codename = perm.partition(".")
            action, _sep, model = codename.partition("_")
            if admin_site_allows(self.role, app_label, model, action):
                return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        from .roles import admin_site_allows

        if self.is_active and not self.is_superuser and admin_site_allows(self.role, app_label):
            return True
        return super().has_module_perms(app_label)


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")


class AuditEvent(models.Model):
    """One state change: who, when, what, from where. Rows are never updated or deleted.

    Database triggers refuse UPDATE, TRUNCATE and any DELETE but a retention purge's (core/audittriggers.py). On
    SQLite, a migration that alters this table rebuilds it and loses the triggers: such a migration must call
    `audittriggers.install` again. Each event is a link of a hash chain (`seq`, `prev_hash`, `hash`:
    core/auditchain.py), written only through `save()` / `audit.record()`, which chain it.
    """

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    # DjangoJSONEncoder: dates, decimals and UUIDs in a change record are written, never a crash.
    changes = models.JSONField(_("变更"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    via = models.CharField(_("途径"), max_length=16, blank=True)  # web, api, cli, task
    # The hash chain (core/auditchain.py): place, the previous event's hash, this event's SHA-256.
    seq = models.BigIntegerField(_("链序号"), unique=True, null=True, editable=False)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("哈希"), max_length=64, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        from .auditchain import append

        append([self])

    def save_chained(self, using: str) -> None:
        """The INSERT itself, once `auditchain.append` has placed the event in the chain."""
        super().save(using=using, force_insert=True)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")

    # What the pages show (tongpin.core.auditlabels): words, not codes.
    @property
    def action_label(self) -> str:
        return auditlabels.action_label(self.action)

    @property
    def object_type_label(self) -> str:
        return auditlabels.object_type_label(self.object_type)

    @property
    def via_label(self) -> str:
        return auditlabels.way_in_label(self.via)

    @property
    def actor_label(self) -> str:
        if self.actor is not None:
            return str(self.actor)
        return str(auditlabels.WAYS_IN["system"]) if self.actor_name in ("", "system") else self.actor_name

    @property
    def changes_lines(self) -> list[tuple[str, str]]:
        return auditlabels.changes_lines(self.object_type, self.changes)


class AuditAnchor(models.Model):
    """Where the audit chain starts after a retention purge: the last purged event's `seq` and hash. Written by
    `auditchain.purge` before it deletes (the database lets a DELETE through only below an anchor); never changed
    or deleted (triggers)."""

    upto_seq = models.BigIntegerField(_("清理至链序号"), unique=True)
    hash = models.CharField(_("哈希"), max_length=64)
    deleted = models.PositiveIntegerField(_("清理条数"))
    cutoff = models.DateTimeField(_("清理此前的记录"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor_name = models.CharField(_("操作人名称"), max_length=150, blank=True)

    class Meta:
        ordering = ["-upto_seq"]
        verbose_name = _("审计日志清理锚点")
        verbose_name_plural = _("审计日志清理锚点")

    def __str__(self) -> str:
        return f"≤{self.upto_seq} {self.hash[:12]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for machines. Only a hash is stored; the token is shown once when made. It may expire,
    and its scope narrows what it reaches (core.api_auth): read-only, the warning endpoints only, or all."""

    class Scope(models.TextChoices):
        READ = "read", _("只读")
        ALERTS = "alerts", _("仅预警")
        FULL = "full", _("全部")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    digest = models.CharField(_("令牌哈希"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True, help_text=_("留空则不过期"))
    scope = models.CharField(_("范围"), max_length=8, choices=Scope.choices, default=Scope.FULL)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls, user: User, name: str, expires_at=None, scope: str = "full"
    ) -> tuple["ApiToken", str]:
        raw = "tp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=raw[:10], digest=hash_token(raw), expires_at=expires_at, scope=scope
        )
        return token, raw


class Notification(models.Model):
    """An in-app message to one person who can act on something (and an e-mail where configured)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # What the notice asks someone to do (e.g. "review-step:12"): once that is done, by whoever, every notice
    # about it is closed (notify.settle), so people are not left with requests already dealt with.
    about = models.CharField(max_length=80, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self) -> str:
        return self.text


class PasswordHistory(models.Model):
    """The hash of every password an account has had, newest first: a new password may not be one of the last few
    (core.passwords.HistoryValidator), and the newest row says when the password was last changed (expiry)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)  # a hash, as in User.password
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"


class AccountState(models.Model):
    """What the sign-in rules need to know about an account beyond Django's user: since when it counts as active
    (an admin re-enabling a dormant account starts the count again) and why it was disabled, if by the rules."""

    class Disabled(models.TextChoices):
        DORMANT = "dormant", _("长期未登录")

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="account_state")
    active_since = models.DateTimeField(_("启用时间"), null=True, blank=True)
    disabled_reason = models.CharField(_("停用原因"), max_length=16, choices=Disabled.choices, blank=True)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号状态")
        verbose_name_plural = _("账号状态")

    def __str__(self) -> str:
        return str(self.user)


def totp_key_context(user_id: int) -> str:
    """What a TOTP seed's seal is bound to: the account, so a seed copied onto another account's row does not open."""
    return f"totp-device-key:{user_id}"


class SealedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """The authenticator app of the second factor (core.twofactor): django-otp's TOTP device, with the seed sealed
    with the data key (core/datakey.py) instead of stored as hex. django-otp does the TOTP maths (oath.TOTP),
    throttling (ThrottlingMixin) and finds it as one of the user's devices (it is a `Device`)."""

    key = models.CharField(max_length=200)  # the hex seed, sealed by save(); bin_key opens it
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)  # the step of the last code accepted: only later ones are

    class Meta:
        verbose_name = _("身份验证器")
        verbose_name_plural = _("身份验证器")

    def save(self, *args, **kwargs) -> None:
        self.key = datakey.seal(self.key, totp_key_context(self.user_id))
        super().save(*args, **kwargs)

    @property
    def bin_key(self) -> bytes:
        """The seed, opened: for computing codes only (never shown, never logged)."""
        return unhexlify(datakey.unseal(self.key, totp_key_context(self.user_id)))

    def verify_token(self, token) -> bool:
        """django-otp's device interface: is `token` a code of this app not older than the last one accepted?
        A throttled device answers no; a failure adds to the throttle, a success resets it."""
        if not self.verify_is_allowed()[0]:
            return False
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()  # one instant for matching and for the step recorded
        token = str(token)
        if not (token.isdigit() and totp.verify(int(token), self.tolerance, self.last_t + 1)):
            self.throttle_increment(commit=True)
            return False
        self.last_t, self.drift = totp.t(), totp.drift
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)
