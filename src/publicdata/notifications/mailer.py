"""E-mail at the outside edge: the Mailer protocol, a recording fake, and an SMTP implementation.

Notifications queue mail in the `mail_outbox` table inside the transaction that caused them;
`deliver_outbox` later hands each pending message to a Mailer. Tests pass an `OutboxMailer`
(which only records); production configures SMTP through settings (PUBLICDATA_SMTP_HOST …).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from publicdata.config import Settings

log = logging.getLogger("publicdata.mail")


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, message: MailMessage) -> None:
        """Deliver one message or raise."""


@dataclass
class OutboxMailer:
    """The fake at the edge: keeps every message it is given in `sent`."""

    sent: list[MailMessage] = field(default_factory=list)

    def send(self, message: MailMessage) -> None:
        self.sent.append(message)


class SkippingMailer:
    """Used when no SMTP server is configured: nothing is sent (messages are marked 'skipped')."""

    skips = True

    def send(self, message: MailMessage) -> None:
        log.debug("no SMTP configured; not sending '%s' to %s", message.subject, message.to)


@dataclass
class SmtpMailer:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = True
    timeout: float = 10.0

    def send(self, message: MailMessage) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)


def mailer_from_settings(settings: Settings) -> Mailer:
    """The configured mailer: SMTP when PUBLICDATA_SMTP_HOST is set, otherwise one that skips."""
    if not settings.smtp_host:
        return SkippingMailer()
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else "",
        starttls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )
