"""Notification use-cases: write to users' inboxes (and queue e-mail) inside the caller's transaction,
read and mark the inbox, deliver the e-mail outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from publicdata.db import utcnow
from publicdata.errors import NotFound
from publicdata.identity import permissions as rules
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.identity.tables import RoleGrant, User
from publicdata.notifications.mailer import Mailer, MailMessage, mailer_from_settings
from publicdata.notifications.tables import Notification, OutboundMail
from publicdata.platform import Platform


@dataclass(frozen=True)
class Message:
    """What to tell someone, in both languages."""

    kind: str  # dotted, e.g. "workorder.overdue"
    title_zh: str
    title_en: str
    body_zh: str = ""
    body_en: str = ""
    subject_type: str | None = None
    subject_id: str | None = None
    link: str | None = None
    dedupe_key: str | None = None  # skip users who already got a message with this key


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    subject_type: str | None
    subject_id: str | None
    link: str | None
    created_at: datetime
    read_at: datetime | None


def notify_user(
    session: Session, user_id: str, message: Message, *, email: bool = True
) -> Notification | None:
    """Put `message` in one user's inbox (and queue an e-mail if they have an address)."""
    delivered = _deliver(session, [user_id], message, email=email)
    return delivered[0] if delivered else None


def _deliver(session: Session, user_ids: list[str], message: Message, *, email: bool) -> list[Notification]:
    """One query for the recipients, one for earlier copies of a deduplicated message, one flush."""
    if not user_ids:
        return []
    users = {
        u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids), User.is_active.is_(True)))
    }
    if message.dedupe_key is not None:
        already = set(
            session.scalars(
                select(Notification.user_id).where(
                    Notification.user_id.in_(list(users)), Notification.dedupe_key == message.dedupe_key
                )
            )
        )
        users = {uid: u for uid, u in users.items() if uid not in already}
    notes = {
        uid: Notification(
            user_id=uid,
            kind=message.kind,
            title_zh=message.title_zh[:300],
            title_en=message.title_en[:300],
            body_zh=message.body_zh,
            body_en=message.body_en,
            subject_type=message.subject_type,
            subject_id=message.subject_id,
            link=message.link,
            dedupe_key=message.dedupe_key,
        )
        for uid in user_ids
        if uid in users
    }
    session.add_all(notes.values())
    session.flush()
    if email:
        subject = f"{message.title_zh} / {message.title_en}"[:300]
        body = "\n\n".join(p for p in (message.body_zh, message.body_en, message.link or "") if p)
        session.add_all(
            OutboundMail(notification_id=note.id, to_address=users[uid].email, subject=subject, body=body)
            for uid, note in notes.items()
            if users[uid].email
        )
    return list(notes.values())


def role_holders(session: Session, role: Role | str, organization_id: str | None = None) -> list[str]:
    """Active users holding `role` (in `organization_id`, or anywhere when it is None)."""
    query = (
        select(RoleGrant.user_id)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == str(role), User.is_active.is_(True))
    )
    if organization_id is not None:
        query = query.where(RoleGrant.organization_id == organization_id)
    return sorted(set(session.scalars(query)))


def notify_organization(
    session: Session, organization_id: str | None, role: Role | str, message: Message
) -> int:
    """Notify every active user holding `role` in the organization (any organization when None)."""
    return notify_users(session, role_holders(session, role, organization_id), message)


def notify_users(session: Session, user_ids: Iterable[str], message: Message) -> int:
    return len(_deliver(session, list(dict.fromkeys(user_ids)), message, email=True))


# ---------------------------------------------------------------------------------------------
# Inbox use-cases
# ---------------------------------------------------------------------------------------------


def list_inbox(
    platform: Platform, *, actor: Principal, unread_only: bool = False, offset: int = 0, limit: int = 20
) -> tuple[int, int, list[NotificationOut]]:
    """(total, unread, page) of the caller's inbox, newest first."""
    require(rules.can_read_inbox(actor))
    with platform.db.reading() as session:
        base = select(Notification).where(Notification.user_id == actor.user_id)
        unread = (
            session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.user_id == actor.user_id, Notification.read_at.is_(None)
                )
            )
            or 0
        )
        if unread_only:
            base = base.where(Notification.read_at.is_(None))
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = session.scalars(
            base.order_by(Notification.created_at.desc(), Notification.id).offset(offset).limit(limit)
        )
        return total, unread, [NotificationOut.model_validate(r) for r in rows]


def mark_read(platform: Platform, *, actor: Principal, notification_id: str) -> NotificationOut:
    require(rules.can_read_inbox(actor))
    with platform.db.transaction() as session:
        note = session.get(Notification, notification_id)
        if note is None or note.user_id != actor.user_id:
            raise NotFound("notification not found", message_zh="通知不存在")
        if note.read_at is None:
            note.read_at = utcnow()
        return NotificationOut.model_validate(note)


def mark_all_read(platform: Platform, *, actor: Principal) -> int:
    require(rules.can_read_inbox(actor))
    with platform.db.transaction() as session:
        result = session.execute(
            update(Notification)
            .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------------------------------------
# E-mail delivery
# ---------------------------------------------------------------------------------------------

MAX_ATTEMPTS = 5


def deliver_outbox(platform: Platform, *, mailer: Mailer | None = None, limit: int = 200) -> dict[str, int]:
    """Send pending mail through `mailer` (default: from settings). Returns counts by outcome.

    Messages are claimed (attempt counted) in one short transaction, sent with no transaction open — an
    SMTP server may take seconds and must not hold the database's write lock — and their outcomes written
    in a second one. A crash in between leaves them pending: delivery is at least once."""
    mailer = mailer or mailer_from_settings(platform.settings)
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    with platform.db.transaction() as session:
        pending = list(
            session.scalars(
                select(OutboundMail)
                .where(OutboundMail.status.in_(("pending", "failed")), OutboundMail.attempts < MAX_ATTEMPTS)
                .order_by(OutboundMail.created_at, OutboundMail.id)
                .limit(limit)
            )
        )
        if getattr(mailer, "skips", False):
            for mail in pending:
                mail.status = "skipped"
            counts["skipped"] = len(pending)
            return counts
        claimed = []
        for mail in pending:
            mail.attempts += 1
            claimed.append((mail.id, MailMessage(to=mail.to_address, subject=mail.subject, body=mail.body)))
    outcomes: dict[str, str | None] = {}  # mail id -> error text, None when sent
    for mail_id, message in claimed:
        try:
            mailer.send(message)
        except Exception as exc:  # an outside edge: any failure is recorded and retried later
            outcomes[mail_id] = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            outcomes[mail_id] = None
    with platform.db.transaction() as session:
        for mail_id, error in outcomes.items():
            row = session.get(OutboundMail, mail_id)
            if row is None:
                continue
            if error is None:
                row.status, row.sent_at = "sent", utcnow()
                counts["sent"] += 1
            else:
                row.status, row.last_error = "failed", error
                counts["failed"] += 1
    return counts
