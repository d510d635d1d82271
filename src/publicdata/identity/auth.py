"""Sign-in with lockout, web sessions with CSRF tokens, and API tokens (SEC-1)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.db import utcnow
from publicdata.errors import AppError, NotAuthenticated, NotFound, ValidationFailed
from publicdata.identity import permissions as rules
from publicdata.identity.model import (
    LockoutPolicy,
    Role,
    TokenScope,
    UserKind,
    VerificationLevel,
    parse_scopes,
)
from publicdata.identity.permissions import Principal
from publicdata.identity.schemas import TokenCreated, TokenOut
from publicdata.identity.service import require
from publicdata.identity.tables import ApiToken, LoginFailure, User, WebSession
from publicdata.platform import Platform

TOKEN_PREFIX = "pd_"


class AccountLocked(AppError):
    status_code = 423
    code = "account_locked"
    message_zh = "登录失败次数过多，账号已临时锁定"
    message_en = "Too many failed sign-ins; the account is locked for a while"


def principal_for(user: User, *, token: ApiToken | None = None, client_ip: str | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        kind=UserKind(user.kind),
        level=VerificationLevel(user.verification_level),
        roles=frozenset((Role(g.role), g.organization_id) for g in user.roles),
        organization_id=user.organization_id,
        token_id=token.id if token else None,
        scopes=parse_scopes(token.scopes.split(",")) if token else frozenset(TokenScope),
        client_ip=client_ip,
    )


def lockout_policy(platform: Platform) -> LockoutPolicy:
    s = platform.settings
    return LockoutPolicy(
        max_failures=s.login_max_failures,
        window=timedelta(minutes=s.login_window_minutes),
        lock_for=timedelta(minutes=s.login_lock_minutes),
    )


def authenticate(
    platform: Platform, *, username: str, password: str, client_ip: str | None = None
) -> Principal:
    """Check a password; lock the account after repeated failures. Same answer for unknown users."""
    now = utcnow()
    anonymous = Principal(client_ip=client_ip)
    refused = NotAuthenticated(
        "wrong username or password", message_zh="用户名或密码错误", code="invalid_credentials"
    )
    with platform.db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.is_active:
            # Spend the same time as a real check, so timing does not reveal which usernames exist.
            _verify_password(platform, platform.dummy_password_hash, password)
            record_audit(
                session,
                actor=anonymous,
                action="auth.login.failed",
                subject_type="user",
                subject_id=None,
                details={"username": username[:64], "reason": "unknown"},
            )
            session.commit()
            raise refused
        if user.locked_until and user.locked_until > now:
            record_audit(
                session,
                actor=anonymous,
                action="auth.login.locked",
                subject_type="user",
                subject_id=user.id,
                details={"locked_until": user.locked_until.isoformat()},
            )
            session.commit()
            raise AccountLocked(details={"locked_until": user.locked_until.isoformat()})
        if not _verify_password(platform, user.password_hash, password):
            session.add(LoginFailure(user_id=user.id, failed_at=now))
            session.flush()
            failures = list(
                session.scalars(select(LoginFailure.failed_at).where(LoginFailure.user_id == user.id))
            )
            until = lockout_policy(platform).locked_until(failures, now)
            details: dict[str, object] = {"failures": len(failures)}
            if until:
                user.locked_until = until
                details["locked_until"] = until.isoformat()
            record_audit(
                session,
                actor=anonymous,
                action="auth.login.failed",
                subject_type="user",
                subject_id=user.id,
                details=details,
            )
            session.commit()
            if until:
                raise AccountLocked(details={"locked_until": until.isoformat()})
            raise refused
        if platform.password_hasher.check_needs_rehash(user.password_hash):
            user.password_hash = platform.password_hasher.hash(password)
        session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id))
        user.locked_until = None
        user.last_login_at = now
        principal = principal_for(user, client_ip=client_ip)
        record_audit(
            session, actor=principal, action="auth.login", subject_type="user", subject_id=user.id, details={}
        )
        return principal


def _verify_password(platform: Platform, password_hash: str, password: str) -> bool:
    try:
        return platform.password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# ---------------------------------------------------------------------------------------------
# Web sessions: an opaque id in a signed cookie, a server-side row (so sign-out really ends it) and
# a per-session CSRF token that every state-changing form or fetch must echo.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionTicket:
    session_id: str
    csrf_token: str
    expires_at: datetime


def start_session(platform: Platform, *, principal: Principal) -> SessionTicket:
    now = utcnow()
    ticket = SessionTicket(
        session_id=secrets.token_urlsafe(32),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(hours=platform.settings.session_max_age_hours),
    )
    with platform.db.transaction() as session:
        session.add(
            WebSession(
                id=_session_key(ticket.session_id),
                user_id=principal.user_id,
                csrf_token=ticket.csrf_token,
                created_at=now,
                expires_at=ticket.expires_at,
            )
        )
    return ticket


def _session_key(session_id: str) -> str:
    # Store only a hash, so a database leak does not hand out live sessions.
    return hashlib.sha256(session_id.encode()).hexdigest()


def principal_from_session(
    platform: Platform, *, session_id: str, client_ip: str | None = None
) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a live session, or None."""
    with platform.db.reading() as session:
        row = session.get(WebSession, _session_key(session_id))
        if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            return None
        return principal_for(user, client_ip=client_ip), row.csrf_token


def end_session(platform: Platform, *, actor: Principal, session_id: str) -> None:
    with platform.db.transaction() as session:
        row = session.get(WebSession, _session_key(session_id))
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
            record_audit(
                session,
                actor=actor,
                action="auth.logout",
                subject_type="user",
                subject_id=row.user_id,
                details={},
            )


# ---------------------------------------------------------------------------------------------
# API tokens: shown once, stored hashed, scoped, expiring, revocable, last use recorded.
# ---------------------------------------------------------------------------------------------


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scopes=token.scopes.split(","),
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


def create_token(
    platform: Platform, *, actor: Principal, name: str, scopes: list[str], expires_in_days: int
) -> TokenCreated:
    require(rules.can_manage_own_tokens(actor))
    try:
        scope_set = parse_scopes(scopes)
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), message_zh="令牌权限范围无效", details=[{"field": "scopes"}]
        ) from exc
    if TokenScope.ADMIN in scope_set and not actor.is_admin:
        raise ValidationFailed("only administrators create admin tokens", message_zh="仅管理员可创建管理令牌")
    if expires_in_days > platform.settings.token_max_days:
        raise ValidationFailed(
            f"tokens expire within {platform.settings.token_max_days} days",
            message_zh="令牌有效期超过上限",
            details=[{"field": "expires_in_days"}],
        )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{TOKEN_PREFIX}{prefix}_{secret}"
    now = utcnow()
    with platform.db.transaction() as session:
        token = ApiToken(
            user_id=actor.user_id,
            name=name,
            prefix=prefix,
            token_hash=hashlib.sha256(plaintext.encode()).hexdigest(),
            scopes=",".join(sorted(s.value for s in scope_set)),
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days),
        )
        session.add(token)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="token.create",
            subject_type="api_token",
            subject_id=token.id,
            details={"name": name, "scopes": token.scopes, "expires_at": token.expires_at.isoformat()},
        )
        return TokenCreated(**_token_out(token).model_dump(), token=plaintext)


def list_tokens(platform: Platform, *, actor: Principal) -> list[TokenOut]:
    if actor.is_anonymous:
        raise NotAuthenticated()
    with platform.db.reading() as session:
        rows = session.scalars(
            select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.created_at)
        )
        return [_token_out(t) for t in rows]


def revoke_token(platform: Platform, *, actor: Principal, token_id: str) -> TokenOut:
    if actor.is_anonymous:
        raise NotAuthenticated()
    with platform.db.transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None or (token.user_id != actor.user_id and not actor.is_admin):
            raise NotFound("token not found", message_zh="令牌不存在")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            record_audit(
                session,
                actor=actor,
                action="token.revoke",
                subject_type="api_token",
                subject_id=token.id,
                details={"name": token.name},
            )
        return _token_out(token)


def principal_from_token(platform: Platform, *, token: str, client_ip: str | None = None) -> Principal:
    """Resolve a bearer token; records its last use. Raises NotAuthenticated for any bad token."""
    invalid = NotAuthenticated(
        "the API token is invalid, expired or revoked",
        message_zh="API令牌无效、已过期或已撤销",
        code="invalid_token",
    )
    parts = token.removeprefix(TOKEN_PREFIX).split("_", 1)
    if not token.startswith(TOKEN_PREFIX) or len(parts) != 2:
        raise invalid
    now = utcnow()
    with platform.db.reading() as session:  # resolving is a read: no write lock on the hot path
        row = session.scalar(select(ApiToken).where(ApiToken.prefix == parts[0]))
        if row is None:
            raise invalid
        expected = hashlib.sha256(token.encode()).hexdigest()
        if not hmac.compare_digest(row.token_hash, expected) or row.revoked_at or row.expires_at <= now:
            raise invalid
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            raise invalid
        principal = principal_for(user, token=row, client_ip=client_ip)
        # Record last use at most once a minute, so busy scripts do not write on every call.
        stale = row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1)
        token_id = row.id
    if stale:
        with platform.db.transaction() as session:
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return principal


def touch_session_cleanup(session: Session) -> int:
    """Remove expired sessions (called by the scheduled tick)."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
