"""Sending e-mail with smtplib (no Flask): settings in, messages out, one connection per batch."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable, Iterable, Mapping, Optional


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused a message."""


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int = 25
    use_tls: bool = False
    use_ssl: bool = False
    username: str = ""
    password: str = ""
    sender: str = "jemputbola@localhost"
    timeout: float = 10

    @classmethod
    def from_config(cls, config: Mapping) -> Optional["MailSettings"]:
        """None when no MAIL_SERVER is configured (e-mail is then simply not sent)."""
        server = (config.get("MAIL_SERVER") or "").strip()
        if not server:
            return None
        return cls(server=server, port=int(config.get("MAIL_PORT") or 25),
                   use_tls=bool(config.get("MAIL_USE_TLS")), use_ssl=bool(config.get("MAIL_USE_SSL")),
                   username=config.get("MAIL_USERNAME") or "", password=config.get("MAIL_PASSWORD") or "",
                   sender=config.get("MAIL_DEFAULT_SENDER") or "jemputbola@localhost",
                   timeout=float(config.get("MAIL_TIMEOUT") or 10))


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str
    key: object = None  # handed back to on_sent (e.g. a notification id)


def build_message(settings: MailSettings, mail: OutgoingMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="jemputbola")
    msg.set_content(mail.body)
    return msg


def send_all(settings: MailSettings, mails: Iterable[OutgoingMail],
             on_sent: Callable[[OutgoingMail], None] = lambda m: None) -> int:
    """Send every mail over one connection, calling on_sent after each; raises MailError on failure."""
    mails = list(mails)
    if not mails:
        return 0
    sent = 0
    try:
        if settings.use_ssl:
            smtp = smtplib.SMTP_SSL(settings.server, settings.port, timeout=settings.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.use_tls and not settings.use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password)
            for mail in mails:
                smtp.send_message(build_message(settings, mail))
                sent += 1
                on_sent(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP {settings.server}:{settings.port} gagal setelah {sent} dari {len(mails)} "
                        f"e-mail: {type(exc).__name__}: {exc}") from exc
    return sent
