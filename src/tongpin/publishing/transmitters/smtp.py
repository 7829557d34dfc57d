"""E-mail through the channel's own SMTP server (a newsletter list, a partner's office mailbox).

The Message-ID is built from the idempotency key, so a mail system that drops duplicate ids sees one message.
"""

import smtplib

from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
        Setting("password", gettext_lazy("密码"), kind="secret"),
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
            connection=get_connection(
                "django.core.mail.backends.smtp.EmailBackend",
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
        except smtplib.SMTPAuthenticationError as error:
            raise PermanentError(_("SMTP 登录失败（%(c)s）。") % {"c": error.smtp_code}, "smtp_auth") from error
        except smtplib.SMTPResponseException as error:
            code = error.smtp_code
            cls = PermanentError if 500 <= code < 600 else TemporaryError
            raise cls(_("SMTP 服务器拒绝：%(c)s") % {"c": code}, f"smtp_{code}") from error
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
