"""The mail worker: sends the outbox through SMTP (aiosmtplib), retrying with growing delays, never twice."""

from __future__ import annotations

import logging
import unicodedata
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from bot.settings import SmtpSettings
from bot.worker import Worker
from i18n import without_bidi_controls
from storage.db import from_text
from storage.outbox import Mail
from storage.store import Store

log = logging.getLogger(__name__)

# Kinds of mail whose body is a secret (a confirmation code): not kept once sent or expired.
SECRET_KINDS = {"email_code"}
# When nothing is due, look again at least this often (a mail queued by the shell, say).
IDLE_CHECK = 60.0


def header_text(value: str) -> str:
    """One printable line: every line separator str.splitlines() knows, every control and direction character goes.

    Header values carry what people typed (a Telegram name, an identifier); a line break in one would
    start a header of its own (a "Bcc:" slipped into a subject) or make the whole mail unbuildable.
    """
    kept = "".join(" " if c.splitlines() != [c] or unicodedata.category(c) == "Cc" else c
                   for c in without_bidi_controls(value))  # nor a direction control that would reorder the line
    return " ".join(kept.split())


class Mailer(Worker):
    name = "mailer"

    def __init__(self, store: Store, smtp: SmtpSettings, timeout: float = 30.0) -> None:
        super().__init__()
        self.store = store
        self.smtp = smtp
        self.timeout = timeout
        self._first_round = True

    async def step(self) -> float:
        # The first round (a start, perhaps after the settings were fixed) tries everything pending at once.
        await self.flush(all_pending=self._first_round)
        self._first_round = False
        return await self._until_next()

    async def _until_next(self) -> float:
        upcoming = await self.store.outbox.next_attempt()
        if upcoming is None:
            return IDLE_CHECK
        return max(0.05, min(IDLE_CHECK, (upcoming - self.store.clock.now()).total_seconds()))

    async def flush(self, all_pending: bool = False) -> int:
        """Sends every mail that is due; returns how many the server accepted."""
        sent = 0
        secrets_cleared = False
        for mail in await self.store.outbox.due(all_pending=all_pending):
            secret = mail.kind in SECRET_KINDS
            try:
                if mail.expires_at and from_text(mail.expires_at) <= self.store.clock.now():
                    await self.store.outbox.expired(mail)
                    secrets_cleared |= secret
                    log.info("mail %s (%s) expired before it could be sent", mail.id, mail.kind)
                    continue
                await self._send(mail)
            except Exception as exc:  # whatever goes wrong with this mail stays with it: the others go on
                secrets_cleared |= await self._failed(mail, exc) and secret
                continue
            # Recorded the moment the server said yes: from here on, it is never sent again.
            await self.store.outbox.sent(mail, forget_body=secret)
            secrets_cleared |= secret
            log.info("mail %s (%s) sent", mail.id, mail.kind)
            sent += 1
        if secrets_cleared:
            await self.store.outbox.scrub()
        return sent

    async def _failed(self, mail: Mail, exc: Exception) -> bool:
        """Records the failure; True when the mail was given up for good (its secret body then cleared)."""
        # Not the exception's text in the log: an unbuildable header could echo what a parent typed.
        later = await self.store.outbox.failed(mail, f"{type(exc).__name__}: {exc}",
                                               forget_body=mail.kind in SECRET_KINDS)
        if later is None:
            log.error("mail %s (%s) given up after %d attempts: %s", mail.id, mail.kind, mail.attempts + 1,
                      type(exc).__name__)
            return True
        log.warning("mail %s (%s) not sent, attempt %d: %s; next try at %s", mail.id, mail.kind,
                    mail.attempts + 1, type(exc).__name__, later.isoformat(timespec="seconds"))
        return False

    async def _send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = header_text(self.smtp.mail_from)
        message["To"] = header_text(mail.recipient)
        message["Subject"] = header_text(mail.subject)
        message["Message-ID"] = header_text(mail.message_id)
        message["Date"] = formatdate(localtime=False)
        message.set_content(mail.body or "")
        await aiosmtplib.send(
            message, hostname=self.smtp.host, port=self.smtp.port,
            username=self.smtp.username, password=self.smtp.password,
            use_tls=self.smtp.security == "tls", start_tls=True if self.smtp.security == "starttls" else False,
            timeout=self.timeout)
