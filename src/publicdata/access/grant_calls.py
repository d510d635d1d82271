"""The data store's side of grants: which grant a reader holds (its standing and scope), the daily
quotas (calls and rows delivered), and the call log with unusual-use flags (ACC-6, ACC-10, PLT-8).

Called by `publicdata.datastore.service` inside its own transactions; no use-case here opens one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publicdata.access import grant_model as gm
from publicdata.access.grant_tables import AccessGrant, GrantCall, Violation
from publicdata.datastore.access import GrantScope, GrantStanding
from publicdata.errors import RateLimited
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.notifications.service import Message, notify_users, role_holders


def open_violation(session: Session, user_id: str, dataset_id: str | None) -> Violation | None:
    """An unlifted violation that closes all the user's access, or restricts it for `dataset_id`."""
    query = select(Violation).where(Violation.user_id == user_id, Violation.lifted_at.is_(None))
    for violation in session.scalars(query.order_by(Violation.recorded_at)):
        if violation.measure == gm.Measure.CLOSE or (
            dataset_id is not None and violation.dataset_id == dataset_id
        ):
            return violation
    return None


def access_restricted(session: Session, user_id: str) -> bool:
    """Is the user's access closed by a violation (ACC-11)? Then no new applications either."""
    return (
        session.scalar(
            select(func.count(Violation.id)).where(
                Violation.user_id == user_id,
                Violation.lifted_at.is_(None),
                Violation.measure == gm.Measure.CLOSE.value,
            )
        )
        != 0
    )


def grant_standing(
    session: Session, principal: Principal, dataset_id: str, now: datetime
) -> GrantStanding | None:
    """The reader's grant for a conditional dataset: the one serving today, else why none serves;
    None when the reader never held a grant for it."""
    if principal.user_id is None:
        return None
    grants = list(
        session.scalars(
            select(AccessGrant)
            .where(AccessGrant.user_id == principal.user_id, AccessGrant.dataset_id == dataset_id)
            .order_by(AccessGrant.created_at.desc())
        )
    )
    if not grants:
        return None
    violation = open_violation(session, principal.user_id, dataset_id)
    if violation is not None:
        zh, en = gm.MEASURE_NAMES.get(violation.measure, ("限制访问", "access restricted"))
        return GrantStanding(
            None,
            "access_restricted",
            f"{en} because of a recorded violation; contact the open-data center",
            f"因违规行为已{zh}，请联系开放数据中心",
            {"violation_id": violation.id},
        )
    today = gm.shanghai_day(now)
    first_refusal: tuple[str, str, str] | None = None
    for grant in grants:
        refusal = gm.grant_refusal(grant.state, grant.valid_from, grant.valid_until, today)
        if refusal is None:
            quota = grant.daily_quota
            return GrantStanding(
                GrantScope(grant.id, tuple(grant.fields), tuple(grant.row_filter or ()), quota)
            )
        if first_refusal is None:
            first_refusal = refusal
            if grant.state == gm.GrantState.SUSPENDED and grant.state_reason:
                first_refusal = (
                    refusal[0],
                    f"{refusal[1]}: {grant.state_reason}",
                    f"{refusal[2]}：{grant.state_reason}",
                )
    assert first_refusal is not None
    return GrantStanding(None, *first_refusal, {"grant_id": grants[0].id})


def _served_since(session: Session, grant_id: str, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count(GrantCall.id)).where(
                GrantCall.grant_id == grant_id,
                GrantCall.at >= since,
                GrantCall.outcome == gm.CallOutcome.SERVED.value,
            )
        )
        or 0
    )


def rows_since(session: Session, grant_id: str, since: datetime) -> int:
    """Rows delivered under the grant by served calls since `since`."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(GrantCall.row_count), 0)).where(
                GrantCall.grant_id == grant_id,
                GrantCall.at >= since,
                GrantCall.outcome == gm.CallOutcome.SERVED.value,
            )
        )
        or 0
    )


def check_quota(session: Session, scope: GrantScope, now: datetime) -> None:
    """Before a read: 429 with Retry-After until Shanghai midnight once today's served calls reached the
    daily call quota, or today's delivered rows the daily row quota (when the grant has one)."""
    day_start = gm.start_of_shanghai_day(now)
    if scope.daily_quota > 0 and _served_since(session, scope.grant_id, day_start) >= scope.daily_quota:
        wait = gm.seconds_until_shanghai_midnight(now)
        raise RateLimited(
            wait,
            message_en=f"the daily call quota of your grant ({scope.daily_quota} calls) is used up; "
            f"it resets at midnight Beijing time (in {wait} s)",
            message_zh=f"本授权每日调用额度（{scope.daily_quota} 次）已用完，北京时间零点重置（{wait} 秒后）",
            code="grant_quota_exceeded",
        )
    grant = session.get(AccessGrant, scope.grant_id)  # loaded by grant_standing in this session
    if grant is not None and grant.daily_row_quota is not None:
        used = rows_since(session, grant.id, day_start)
        if gm.row_quota_refuses(grant.daily_row_quota, used):
            raise _row_quota_exceeded(grant.daily_row_quota, used, None, now)


def _row_quota_exceeded(quota: int, used: int, delivering: int | None, now: datetime) -> RateLimited:
    wait = gm.seconds_until_shanghai_midnight(now)
    left = max(0, quota - used)
    if delivering is None or left == 0:
        return RateLimited(
            wait,
            message_en=f"the daily row quota of your grant ({quota} rows) is used up; "
            f"it resets at midnight Beijing time (in {wait} s)",
            message_zh=f"本授权每日数据量额度（{quota} 行）已用完，北京时间零点重置（{wait} 秒后）",
            code="grant_row_quota_exceeded",
        )
    return RateLimited(
        wait,
        message_en=f"this request would deliver {delivering} rows but the daily row quota of your grant "
        f"({quota} rows) leaves {left} today; ask for fewer rows (records: a smaller limit) or retry "
        f"after midnight Beijing time (in {wait} s)",
        message_zh=f"本次请求 {delivering} 行，超出本授权每日数据量额度（{quota} 行）今日剩余的 {left} 行；"
        f"请减少请求行数（记录查询可减小 limit），或于北京时间零点后重试（{wait} 秒后）",
        code="grant_row_quota_exceeded",
    )


def _admit_rows(session: Session, grant: AccessGrant, rows: int, now: datetime) -> None:
    """A read's result, not yet delivered: refuse it (429) if its rows would pass the daily row quota.
    The grant's row is locked first (PostgreSQL) so concurrent reads of one grant are counted in turn."""
    if grant.daily_row_quota is None:
        return
    session.execute(select(AccessGrant.id).where(AccessGrant.id == grant.id).with_for_update())
    used = rows_since(session, grant.id, gm.start_of_shanghai_day(now))
    if gm.row_quota_refuses(grant.daily_row_quota, used, rows):
        raise _row_quota_exceeded(grant.daily_row_quota, used, rows, now)


def _stats(session: Session, grant: AccessGrant, now: datetime, scope_rows: int) -> gm.UsageStats:
    day_start = gm.start_of_shanghai_day(now)
    calls_today = _served_since(session, grant.id, day_start)
    week_start = day_start - timedelta(days=7)
    trailing = int(
        session.scalar(
            select(func.count(GrantCall.id)).where(
                GrantCall.grant_id == grant.id,
                GrantCall.at >= week_start,
                GrantCall.at < day_start,
                GrantCall.outcome == gm.CallOutcome.SERVED.value,
            )
        )
        or 0
    )
    rows_today = rows_since(session, grant.id, day_start)
    return gm.UsageStats(
        daily_quota=grant.daily_quota,
        calls_last_hour=_served_since(session, grant.id, now - timedelta(hours=1)),
        calls_today=calls_today,
        trailing_daily_average=trailing / 7,
        rows_served_today=rows_today,
        scope_rows=scope_rows,
    )


def log_call(
    session: Session,
    *,
    actor: Principal,
    grant_id: str,
    endpoint: str,
    fields: list[str],
    row_count: int,
    offset: int = 0,
    now: datetime,
    scope_rows: int = -1,
    refused: bool = False,
    details: dict[str, Any] | None = None,
) -> GrantCall:
    """Log one read under a grant (served or refused), raise its unusual-use flags and tell the
    provider and the center about flags (at most once per grant per day).

    The data store logs a served read after computing it and before delivering it, so this is where
    the daily row quota sees the read's rows: a read that would pass it raises 429 instead (nothing is
    delivered or logged, as for the call quota's 429)."""
    grant = session.get(AccessGrant, grant_id)
    assert grant is not None
    if not refused:
        _admit_rows(session, grant, row_count, now)
    call = GrantCall(
        grant_id=grant_id,
        user_id=actor.user_id or "",
        at=now,
        endpoint=endpoint,
        fields=fields,
        row_count=row_count,
        offset=offset,
        outcome=(gm.CallOutcome.REFUSED if refused else gm.CallOutcome.SERVED).value,
        flags=[],
    )
    session.add(call)
    session.flush()
    flags = (
        [gm.Flag.FIELDS_OUTSIDE_GRANT.value]
        if refused
        else gm.unusual_use_flags(_stats(session, grant, now, scope_rows))
    )
    call.flags = flags
    if flags:
        _notify_flags(session, grant, call, now)
    return call


def _notify_flags(session: Session, grant: AccessGrant, call: GrantCall, now: datetime) -> None:
    day = gm.shanghai_day(now).isoformat()
    names = ", ".join(call.flags)
    message = Message(
        kind="access.grant_flag",
        title_zh=f"授权数据异常使用提示：{names}",
        title_en=f"Unusual use under a data grant: {names}",
        body_zh=f"授权 {grant.id} 的调用触发了异常使用标记（{names}），请核查调用日志。",
        body_en=f"A call under grant {grant.id} raised unusual-use flags ({names}); check the call log.",
        subject_type="access_grant",
        subject_id=grant.id,
        link=f"/grants/{grant.id}",
        dedupe_key=f"grant-flag:{grant.id}:{day}",
    )
    users = role_holders(session, Role.PROVIDER_STAFF, grant.provider_id) + role_holders(session, Role.CENTER)
    notify_users(session, users, message)
