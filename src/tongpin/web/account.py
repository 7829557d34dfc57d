"""Signing in in steps, and 我的账户 (docs/security.md, 身份鉴别与会话).

After the right password (`TongpinLoginView`), nobody is signed in yet: the account waits in the session
(`PENDING`, for 10 minutes) while the steps the rules ask for are taken, in this order —
  1. the second factor: a code from the authenticator app or a recovery code (`verify`), or, for a role that
     must have one (core.policy) and has none yet, setting it up now (`enrol`);
  2. a new password, when the password has expired (`expired_password`).
Only then does Django's `login()` run. The Django admin's sign-in is the same view, so it takes the same steps.
Wrong codes count against the account's name like wrong passwords (django-axes, core.signin).

My account (`account`): who I am, my password (`change_password`), my second factor (set up, new recovery codes,
remove it where my role allows).
"""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from tongpin.core import passwords, policy, signin, twofactor
from tongpin.core.audit import Actor, client_ip, record
from tongpin.core.models import User
from tongpin.core.weblinks import local_next

PENDING = "tp_pending"
SETUP = "tp_2fa_setup"
PENDING_FOR = 600  # seconds between the password and the last step


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "off"}),
    )


def _actor(request, user) -> Actor:
    return Actor(user=user, ip=client_ip(request))


# --- the steps after the password ----------------------------------------------------------------------------


def begin(request, user, next_url: str):
    """The password was right: take the remaining steps, or sign in now if there are none."""
    request.session.pop(SETUP, None)
    pending = {"user": user.pk, "backend": user.backend, "at": time.time(), "next": next_url}
    return _advance(request, user, pending)


def _next_step(user, pending: dict) -> str:
    if not pending.get("factor_ok"):
        if twofactor.enrolled(user):
            return "login-verify"
        if policy.two_factor_required(user):
            return "login-enrol"
    if not pending.get("password_ok") and passwords.expired(user):
        return "login-password"
    return ""


def _advance(request, user, pending: dict, device=None):
    step = _next_step(user, pending)
    if step:
        request.session[PENDING] = pending
        return redirect(step)
    return redirect(_finish(request, user, pending, device))


def _finish(request, user, pending: dict, device=None) -> str:
    """Sign in for real; returns where to go next."""
    request.session.pop(PENDING, None)
    login(request, user, backend=pending["backend"])
    if device is not None:
        otp_login(request, device)
    return local_next(request, pending.get("next") or "", resolve_url(settings.LOGIN_REDIRECT_URL))


def _pending(request) -> tuple[dict | None, User | None]:
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > PENDING_FOR:
        request.session.pop(PENDING, None)
        return None, None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return (pending, user) if user is not None else (None, None)


def _start_over(request):
    messages.info(request, _("请重新输入账号和密码。"))
    return redirect("login")


@never_cache
def verify(request):
    """Step 1: a code from the authenticator app, or one of the recovery codes."""
    pending, user = _pending(request)
    if user is None or not twofactor.enrolled(user):
        return _start_over(request)
    name = user.get_username()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not signin.second_factor_allowed(request, name):
            return _locked(request)
        verdict = twofactor.verify(user, form.cleaned_data["code"])
        if verdict.ok:
            if verdict.how == "recovery":
                left = twofactor.recovery_codes_left(user)
                record(_actor(request, user), "auth.2fa_recovery_used", user, {"left": left})
                messages.warning(request, _("已使用一个恢复码，还剩 %(left)d 个。") % {"left": left})
            else:
                record(_actor(request, user), "auth.2fa_verified", user)
            pending["factor_ok"] = True
            return _advance(request, user, pending, verdict.device)
        record(_actor(request, user), "auth.2fa_failed", user, {"throttled": verdict.throttled})
        if signin.second_factor_failed(request, name):
            return _locked(request)
        form.add_error("code", _code_error(verdict))
    return render(request, "web/signin/verify.html", {"form": form, "person": user})


def _code_error(verdict: twofactor.Verdict) -> str:
    if verdict.no_data_key:
        return _("服务器缺少数据密钥，无法核对验证器的验证码：请改用恢复码，并请管理员运行 tongpin keys status。")
    return _("尝试过于频繁，请稍等几秒再试。") if verdict.throttled else _("验证码不正确。")


def _locked(request):
    from .views import locked_out

    request.session.pop(PENDING, None)
    return locked_out(request)


@never_cache
def enrol(request):
    """Step 1 for a role that must have a second factor and has none: set it up now, before anything else."""
    pending, user = _pending(request)
    if user is None:
        return _start_over(request)

    def done(codes: list[str]):
        pending["factor_ok"] = True
        step = _next_step(user, pending)
        if step:
            request.session[PENDING] = pending
            onward = reverse(step)
        else:
            onward = _finish(request, user, pending)
        return render(request, "web/signin/recovery_codes.html", {"codes": codes, "onward": onward, "first": True})

    return _setup_page(request, user, done, required=policy.two_factor_required(user))


def _setup_key(request, user) -> str:
    setup = request.session.get(SETUP)
    if not setup or setup.get("user") != user.pk:
        setup = {"user": user.pk, "key": twofactor.new_key()}
        request.session[SETUP] = setup
    return setup["key"]


def _setup_page(request, user, done, *, required: bool):
    key = _setup_key(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.code_matches(key, form.cleaned_data["code"]):
            codes = twofactor.enrol(_actor(request, user), user, key)
            request.session.pop(SETUP, None)
            return done(codes)
        form.add_error("code", _("验证码不正确。请确认手机时间准确，并输入验证器上当前显示的 6 位数字。"))
    context = {
        "form": form,
        "person": user,
        "secret": twofactor.secret_text(key),
        "uri": twofactor.otpauth_uri(user, key),
        "required": required,
        "signed_in": request.user.is_authenticated,
    }
    return render(request, "web/signin/enrol.html", context)


@never_cache
def setup_qr(request):
    """The QR code of the secret being set up (for whoever is setting it up in this session only)."""
    setup = request.session.get(SETUP)
    pending, pending_user = _pending(request)
    owner = request.user.pk if request.user.is_authenticated else getattr(pending_user, "pk", None)
    if not setup or owner is None or setup.get("user") != owner:
        raise Http404
    user = User.objects.get(pk=owner)
    answer = HttpResponse(twofactor.qr_svg(twofactor.otpauth_uri(user, setup["key"])), content_type="image/svg+xml")
    answer["Cache-Control"] = "no-store"
    return answer


@never_cache
def expired_password(request):
    """Step 2: the password has expired (TONGPIN_PASSWORD_MAX_AGE_DAYS): choose a new one to go on."""
    pending, user = _pending(request)
    if user is None:
        return _start_over(request)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        record(_actor(request, user), "auth.password_change", user, {"expired": True})
        pending["password_ok"] = True
        return _advance(request, user, pending)
    return render(request, "web/signin/password.html", {"form": form, "expired": True, "person": user})


# --- my account ----------------------------------------------------------------------------------------------


@login_required
def account(request):
    user = request.user
    context = {
        "enrolled": twofactor.enrolled(user),
        "required": policy.two_factor_required(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "password_changed": passwords.changed_at(user),
        "max_age": settings.TONGPIN_PASSWORD_MAX_AGE_DAYS,
        "code_form": CodeForm(),
    }
    return render(request, "web/account/account.html", context)


@login_required
@never_cache
def change_password(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        record(_actor(request, user), "auth.password_change", user, {"expired": False})
        messages.success(request, _("密码已修改。"))
        return redirect("account")
    return render(request, "web/signin/password.html", {"form": form, "expired": False, "person": request.user})


@login_required
@never_cache
def setup_two_factor(request):
    """Set up (or replace) my authenticator app."""
    user = request.user

    def done(codes: list[str]):
        return render(
            request, "web/signin/recovery_codes.html", {"codes": codes, "onward": reverse("account"), "first": True}
        )

    return _setup_page(request, user, done, required=policy.two_factor_required(user))


def _confirmed_by_code(request, user) -> bool:
    """Changing the second factor asks for a current code from it (or a recovery code)."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请输入验证器上的验证码。"))
        return False
    verdict = twofactor.verify(user, form.cleaned_data["code"])
    if not verdict.ok:
        record(_actor(request, user), "auth.2fa_failed", user, {"throttled": verdict.throttled})
        messages.error(request, _("验证码不正确。"))
        return False
    if verdict.how == "recovery":
        record(_actor(request, user), "auth.2fa_recovery_used", user, {"left": twofactor.recovery_codes_left(user)})
    return True


@login_required
@require_POST
@never_cache
def new_recovery_codes(request):
    user = request.user
    if not twofactor.enrolled(user) or not _confirmed_by_code(request, user):
        return redirect("account")
    codes = twofactor.new_recovery_codes(_actor(request, user), user)
    return render(
        request, "web/signin/recovery_codes.html", {"codes": codes, "onward": reverse("account"), "first": False}
    )


@login_required
@require_POST
def remove_two_factor(request):
    user = request.user
    if policy.two_factor_required(user):
        messages.error(request, _("您的角色必须使用两步验证，不能停用；更换手机请重新设置验证器。"))
        return redirect("account")
    if twofactor.enrolled(user) and _confirmed_by_code(request, user):
        twofactor.remove(_actor(request, user), user, by_admin=False)
        messages.success(request, _("两步验证已停用。"))
    return redirect("account")
