"""E-mail through the channel's own SMTP server (a newsletter list, a partner's office mailbox).

The Message-ID is built from the idempotency key, so a mail system that drops duplicate ids sees one message.
The server's name is judged by `core.outbound` (public, or allow-listed) and the connection made to the judged
address; TLS still checks the certificate against the name.
"""

import smtplib

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core import outbound

from ..plugins import (
    Outcome,
    Parcel,
    PermanentError,
    Setting,
    TemporaryError,
    Transmitter,
    formatter_for,
    register_transmitter,
)


class _JudgedSMTP(smtplib.SMTP):
    def _get_socket(self, host, port, timeout):
        return super()._get_socket(outbound.resolve(host, port), port, timeout)


class _JudgedSMTPSSL(smtplib.SMTP_SSL):
    def _get_socket(self, host, port, timeout):  # SMTP_SSL wraps with server_hostname=self._host (the name)
        return super()._get_socket(outbound.resolve(host, port), port, timeout)


class JudgedEmailBackend(EmailBackend):
    """Django's SMTP backend, connecting only to the judged address of its host."""

    @property
    def connection_class(self):
        return _JudgedSMTPSSL if self.use_ssl else _JudgedSMTP


def _said(error: smtplib.SMTPResponseException) -> str:
    """What the server answered, for the admins' detail."""
    text = error.smtp_error
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text))[:200]


def _recipients(value: str) -> list[str]:
    return [part.strip() for part in (value or "").replace("；", ",").replace(";", ",").split(",") if part.strip()]


@register_transmitter
class Smtp(Transmitter):
    name = "smtp"
    label = gettext_lazy("电子邮件（SMTP）")
    settings = (
        Setting("host", gettext_lazy("SMTP 服务器"), required=True),
        Setting("port", gettext_lazy("端口"), kind="int", default=25),
        Setting("username", gettext_lazy("用户名")),
        Setting("password", gettext_lazy("密码"), kind="secret", bound_to=("host",),
                help=gettext_lazy("更改 SMTP 服务器后须重新输入密码（否则清空）。")),  # fmt: skip
        Setting("security", gettext_lazy("加密"), kind="choice", default="none", choices=("none", "starttls", "ssl")),
        Setting("from_address", gettext_lazy("发件人"), kind="email", required=True),
        Setting("to", gettext_lazy("收件人（逗号分隔）"), required=True),
        Setting("timeout", gettext_lazy("超时（秒）"), kind="int", default=15),
    )

    def send(self, parcel: Parcel) -> Outcome:
        conf = parcel.settings
        fields = parcel.fields
        subject = fields.get("title") or fields.get("headline") or fields.get("text", "")[:40] or _("同频稿件")
        body = formatter_for(parcel.kind).text_of(fields)
        message = EmailMultiAlternatives(
            subject=str(subject).replace("\n", " ")[:150],
            body=body,
            from_email=conf.get("from_address"),
            to=_recipients(conf.get("to", "")),
            headers={"Message-ID": f"<{parcel.idempotency_key}@tongpin>"},
            connection=JudgedEmailBackend(
                host=conf.get("host"),
                port=int(conf.get("port") or 25),
                username=conf.get("username") or "",
                password=conf.get("password") or "",
                use_tls=conf.get("security") == "starttls",
                use_ssl=conf.get("security") == "ssl",
                timeout=float(conf.get("timeout") or 15),
                fail_silently=False,
            ),
        )
        html = fields.get("content") or fields.get("body_html")
        if html:
            message.attach_alternative(html, "text/html")
        try:
            message.send()
        except outbound.DestinationRefused as error:
            if error.reason == "unresolved":
                raise TemporaryError(_("无法解析 SMTP 服务器地址。"), "unresolved") from error
            raise PermanentError(
                _("SMTP 服务器地址指向内部网络，不允许发送（管理员可在 TONGPIN_OUTBOUND_ALLOW 中放行）。"),
                "destination_refused",
            ) from error
        except smtplib.SMTPAuthenticationError as error:
            raise PermanentError(
                _("SMTP 登录失败（%(c)s）。") % {"c": error.smtp_code}, "smtp_auth", _said(error)
            ) from error
        except smtplib.SMTPResponseException as error:
            code = error.smtp_code
            cls = PermanentError if 500 <= code < 600 else TemporaryError
            raise cls(_("SMTP 服务器拒绝：%(c)s") % {"c": code}, f"smtp_{code}", _said(error)) from error
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentError(_("收件人被拒绝。"), "smtp_recipients") from error
        except TimeoutError as error:
            raise TemporaryError(_("SMTP 服务器没有应答。"), "timeout") from error
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryError(
                _("无法连接 SMTP 服务器：%(e)s") % {"e": error.__class__.__name__}, "unreachable"
            ) from error
        return Outcome(remote_ref=f"<{parcel.idempotency_key}@tongpin>")

    def check_settings(self, values: dict) -> list[tuple[str, str]]:
        if values.get("to") is not None and not _recipients(values.get("to", "")):
            return [("to", _("至少需要一个收件人。"))]
        return []
