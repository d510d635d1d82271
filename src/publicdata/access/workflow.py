"""Work-order types of conditional access and their effects on the application (ACC-3, ACC-4).

`access_check` — the center's completeness check (responsible: center). The regulations give no period
for it; we use **2 working days** for both jurisdiction profiles. accept → the provider's decision order
is opened (clock starts at forwarding); return_incomplete → every problem in one notice, clock paused;
the applicant's resubmission restarts a full period (ClockEffect.RESTART).

`access_decision` — the provider's decision (responsible: the dataset's provider, provider staff), **5
working days** (city) or **10** (district) from forwarding (ACC-4). Expert referral rule: `refer`
pauses the decision clock; the expert committee has EXPERT_WORKING_DAYS working days; the clock resumes
(remaining days carried over, at least 1) as soon as the number of opinions the provider asked for has
arrived, or when the expert period runs out (the `access.expert_time_up` job). The provider may also
decide straight from the expert stage. Both types' handlers keep the application row in step, so the
generic work-order API and the access API have the same effects.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.access import model
from publicdata.access.model import ApplicationError
from publicdata.access.tables import AccessApplication, AccessRequirement
from publicdata.audit.service import record_audit
from publicdata.catalog.tables import Dataset
from publicdata.errors import Conflict, ValidationFailed
from publicdata.identity.model import Role
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.notifications.service import Message, notify_organization, notify_user
from publicdata.workdays.model import WorkdayCalendar, shanghai_date
from publicdata.workorders import engine, registry
from publicdata.workorders.model import ClockEffect, Party, Transition, WorkOrderType
from publicdata.workorders.registry import ActionContext, JobContext
from publicdata.workorders.tables import WorkOrder

CHECK_WORKING_DAYS = 2
EXPERT_WORKING_DAYS = 10
SUBJECT = "access_application"

CHECK = WorkOrderType(
    name="access_check",
    label_zh="数据申请形式审查",
    label_en="data application completeness check",
    states=frozenset({"checking", "incomplete", "accepted", "withdrawn"}),
    initial_state="checking",
    final_states=frozenset({"accepted", "withdrawn"}),
    transitions=(
        Transition(
            "accept",
            frozenset({"checking"}),
            "accepted",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            label_zh="受理并转交",
            label_en="accepted and forwarded",
        ),
        Transition(
            "return_incomplete",
            frozenset({"checking"}),
            "incomplete",
            Party.RESPONSIBLE,
            ClockEffect.PAUSE,
            label_zh="材料不全退回",
            label_en="returned as incomplete",
        ),
        Transition(
            "resubmit",
            frozenset({"incomplete"}),
            "checking",
            Party.REQUESTER,
            ClockEffect.RESTART,
            label_zh="补正后重新提交",
            label_en="resubmitted",
        ),
        Transition(
            "withdraw",
            frozenset({"checking", "incomplete"}),
            "withdrawn",
            Party.REQUESTER,
            ClockEffect.STOP,
            label_zh="撤回",
            label_en="withdrawn",
        ),
    ),
    sla_working_days={"city": CHECK_WORKING_DAYS, "district": CHECK_WORKING_DAYS},
    responsible_role=Role.CENTER.value,
    state_labels={
        "checking": ("形式审查中", "checking"),
        "incomplete": ("材料不全", "incomplete"),
        "accepted": ("已受理", "accepted"),
        "withdrawn": ("已撤回", "withdrawn"),
    },
)

DECISION = WorkOrderType(
    name="access_decision",
    label_zh="数据申请审核",
    label_en="data application decision",
    states=frozenset({"deciding", "with_experts", "approved", "refused", "withdrawn"}),
    initial_state="deciding",
    final_states=frozenset({"approved", "refused", "withdrawn"}),
    transitions=(
        Transition(
            "approve",
            frozenset({"deciding", "with_experts"}),
            "approved",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            label_zh="同意",
            label_en="approved",
        ),
        Transition(
            "refuse",
            frozenset({"deciding", "with_experts"}),
            "refused",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            label_zh="不同意",
            label_en="refused",
        ),
        Transition(
            "refer",
            frozenset({"deciding"}),
            "with_experts",
            Party.RESPONSIBLE,
            ClockEffect.PAUSE,
            note_required=True,
            label_zh="提交专家委员会评议",
            label_en="referred to experts",
        ),
        Transition(
            "resume",
            frozenset({"with_experts"}),
            "deciding",
            Party.RESPONSIBLE,
            ClockEffect.RESUME,
            label_zh="专家评议结束",
            label_en="expert stage closed",
        ),
        Transition(
            "withdraw",
            frozenset({"deciding", "with_experts"}),
            "withdrawn",
            Party.REQUESTER,
            ClockEffect.STOP,
            label_zh="撤回",
            label_en="withdrawn",
        ),
    ),
    sla_working_days={"city": 5, "district": 10},
    responsible_role=Role.PROVIDER_STAFF.value,
    max_extension_days=5,
    state_labels={
        "deciding": ("审核中", "deciding"),
        "with_experts": ("专家评议中", "with experts"),
        "approved": ("已同意", "approved"),
        "refused": ("未同意", "refused"),
        "withdrawn": ("已撤回", "withdrawn"),
    },
)


def app_error(exc: ApplicationError) -> Conflict | ValidationFailed:
    if exc.code == "invalid_state":
        return Conflict(exc.message_en, message_zh=exc.message_zh, code=exc.code)
    return ValidationFailed(exc.message_en, message_zh=exc.message_zh, code=exc.code)


def move(app: AccessApplication, step: str) -> None:
    try:
        app.state = model.next_state(app.state, step).value
    except ApplicationError as exc:
        raise app_error(exc) from exc


def application_of(session: Session, order: WorkOrder) -> AccessApplication:
    app = session.get(AccessApplication, order.subject_id or "")
    if app is None or order.subject_type != SUBJECT:
        raise Conflict(
            "the order has no application", message_zh="工单未关联数据申请", code="wrong_order_type"
        )
    return app


def material_keys(session: Session, dataset_id: str) -> list[str]:
    req = session.get(AccessRequirement, dataset_id)
    return [str(m["key"]) for m in (req.materials if req else [])]


def checked_problems(session: Session, app: AccessApplication, raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raw = []
    known = list(model.REQUEST_ITEMS) + material_keys(session, app.dataset_id) + list(app.materials)
    try:
        return model.review_problems([p for p in raw if isinstance(p, Mapping)], known_items=known)
    except ApplicationError as exc:
        raise app_error(exc) from exc


def tell_applicant(
    session: Session,
    app: AccessApplication,
    kind: str,
    zh: str,
    en: str,
    body_zh: str = "",
    body_en: str = "",
    *,
    step: ActionContext | None = None,
    subject: tuple[str, str] | None = None,
    link: str | None = None,
) -> None:
    """The applicant's one message about a step of their application, in both languages, naming the
    dataset. Inside a work-order action (`step`), the engine's generic notice then skips the applicant.
    `subject` / `link` point elsewhere than the application (e.g. the grant a signature issued)."""
    dataset = session.get(Dataset, app.dataset_id)
    if dataset is not None:
        zh, en = f"{zh}：{dataset.name}", f"{en}: {dataset.name}"
    subject_type, subject_id = subject or (SUBJECT, app.id)
    notify_user(
        session,
        app.applicant_id,
        Message(
            kind=kind,
            title_zh=zh,
            title_en=en,
            body_zh=body_zh,
            body_en=body_en,
            subject_type=subject_type,
            subject_id=subject_id,
            link=link or f"/access/applications/{app.id}",
        ),
    )
    if step is not None:
        step.notified.add(app.applicant_id)


def with_note(zh: str, en: str, note: str) -> tuple[str, str]:
    """A message body followed by the reviewer's note, when there is one."""
    if not note.strip():
        return zh, en
    return f"{zh}\n意见：{note.strip()}".strip(), f"{en}\nNote: {note.strip()}".strip()


def scope_text(scope: Mapping[str, Any]) -> tuple[str, str]:
    """The approved scope in words: fields, period, daily quotas."""
    fields = [str(f) for f in scope.get("fields") or []]
    calls, rows = scope.get("daily_quota"), scope.get("daily_row_quota")
    start, end = scope.get("period_start"), scope.get("period_end")
    zh = f"批准的数据项：{'、'.join(fields)}；期限 {start} 至 {end}"
    en = f"Approved fields: {', '.join(fields)}; period {start} to {end}"
    if calls:
        zh, en = f"{zh}；每日调用上限 {calls} 次", f"{en}; at most {calls} calls a day"
    if rows:
        zh, en = f"{zh}；每日获取数据量上限 {rows} 行", f"{en}; at most {rows} rows a day"
    return f"{zh}。", f"{en}."


def problems_text(problems: list[dict[str, str]]) -> tuple[str, str]:
    zh = "；".join(f"{i}. {p['item']}：{p['reason']}" for i, p in enumerate(problems, start=1))
    return zh, zh


def audit_app(
    session: Session, actor: Principal, app: AccessApplication, action: str, details: Mapping[str, Any]
) -> None:
    record_audit(
        session,
        actor=actor,
        action=f"access.application_{action}",
        subject_type=SUBJECT,
        subject_id=app.id,
        organization_id=app.provider_id,
        details={"dataset_id": app.dataset_id, "state": app.state, "round": app.rounds} | dict(details),
    )


def open_decision(
    session: Session,
    *,
    actor: Principal,
    app: AccessApplication,
    title: str,
    jurisdiction: str,
    calendar: WorkdayCalendar,
    ctx_now: Any,
) -> WorkOrder:
    order = engine.open_order(
        session,
        actor=actor,
        order_type=DECISION,
        subject_type=SUBJECT,
        subject_id=app.id,
        title=title,
        requester_id=app.applicant_id,
        requester_org_id=None,
        responsible_org_id=app.provider_id,
        jurisdiction=jurisdiction,
        calendar=calendar,
        now=ctx_now,
        payload={"application_id": app.id, "round": app.rounds, "experts_needed": 0, "expert_due_at": None},
    )
    app.decision_order_id = order.id
    return order


def expert_review_required(session: Session, app: AccessApplication) -> bool:
    req = session.get(AccessRequirement, app.dataset_id)
    threshold = req.expert_threshold_rows if req is not None else None
    return model.needs_experts(app.expected_rows, threshold, bool(app.one_off_bulk))


def _check_handler(session: Session, ctx: ActionContext) -> dict[str, Any]:
    app = application_of(session, ctx.order)
    action = ctx.transition.action
    recorded: dict[str, Any] = {"application_id": app.id}
    if action == "accept":
        move(app, "accept")
        app.problems = []
        order = open_decision(
            session,
            actor=ctx.actor,
            app=app,
            title=ctx.order.title,
            jurisdiction=ctx.order.jurisdiction,
            calendar=ctx.calendar,
            ctx_now=ctx.now,
        )
        recorded["decision_order_id"] = order.id
        recorded["decision_due_at"] = order.due_at.isoformat()
        audit_app(session, ctx.actor, app, "accept", recorded)
        due = shanghai_date(order.due_at).isoformat()
        tell_applicant(
            session,
            app,
            "access.accepted",
            "数据申请已受理并转交数据开放主体",
            "Your data application was accepted and forwarded to the provider",
            *with_note(
                f"数据开放主体将于 {due} 前作出审核决定。",
                f"The provider decides by {due}.",
                ctx.note,
            ),
            step=ctx,
        )
    elif action == "return_incomplete":
        problems = checked_problems(session, app, ctx.details.get("problems"))
        move(app, "return_incomplete")
        app.problems = problems
        recorded["problems"] = problems
        audit_app(session, ctx.actor, app, "return_incomplete", recorded)
        zh, en = problems_text(problems)
        tell_applicant(
            session,
            app,
            "access.incomplete",
            "数据申请材料不全，请补正后重新提交",
            "Your data application is incomplete: amend and resubmit",
            *with_note(zh, en, ctx.note),
            step=ctx,
        )
    elif action == "resubmit":
        move(app, "resubmit")
        app.problems = []
        recorded["round"] = app.rounds
    elif action == "withdraw":
        move(app, "withdraw")
        audit_app(session, ctx.actor, app, "withdraw", recorded)
    return recorded


def _decision_handler(session: Session, ctx: ActionContext) -> dict[str, Any]:
    app = application_of(session, ctx.order)
    action = ctx.transition.action
    recorded: dict[str, Any] = {"application_id": app.id}
    payload = dict(ctx.order.payload or {})
    if action == "approve":
        if expert_review_required(session, app) and not int(payload.get("referral_round", 0)):
            raise Conflict(
                "a large or one-off bulk request is approved only after the expert committee's opinion",
                message_zh="大批量或一次性批量数据申请须经专家委员会评议后方可同意",
                code="expert_review_required",
            )
        scope = approved_scope(app, ctx.details)
        move(app, "approve")
        app.approved_scope = scope
        app.problems = []
        app.decision_note = ctx.note
        app.decided_at = ctx.now
        recorded["scope"] = scope
        audit_app(session, ctx.actor, app, "approve", recorded)
        zh, en = scope_text(scope)
        tell_applicant(
            session,
            app,
            "access.approved",
            "数据申请已获同意，请在线签署使用协议",
            "Your data application was approved: sign the usage agreement online",
            *with_note(zh, en, ctx.note),
            step=ctx,
            link=f"/access/applications/{app.id}/sign",
        )
    elif action == "refuse":
        problems = checked_problems(session, app, ctx.details.get("problems"))
        move(app, "refuse")
        app.problems = problems
        app.decision_note = ctx.note
        app.decided_at = ctx.now
        recorded["problems"] = problems
        audit_app(session, ctx.actor, app, "refuse", recorded)
        zh, en = problems_text(problems)
        tell_applicant(
            session,
            app,
            "access.refused",
            "数据申请未获同意（可修改后重新提交）",
            "Your data application was refused (you may amend and resubmit)",
            *with_note(zh, en, ctx.note),
            step=ctx,
        )
    elif action == "refer":
        move(app, "refer")
        needed = int(ctx.details.get("experts_needed") or 1)
        due = ctx.calendar.deadline(ctx.now, EXPERT_WORKING_DAYS)
        payload["experts_needed"] = max(1, min(needed, 9))
        payload["expert_due_at"] = due.due_at.isoformat()
        payload["referral_round"] = int(payload.get("referral_round", 0)) + 1
        recorded |= {"experts_needed": payload["experts_needed"], "expert_due_at": payload["expert_due_at"]}
        audit_app(session, ctx.actor, app, "refer", recorded | {"note": ctx.note})
        expert_due = due.due_date.isoformat()
        tell_applicant(
            session,
            app,
            "access.referred",
            "数据申请已提交专家委员会评议",
            "Your data application was referred to the expert committee",
            f"专家委员会于 {expert_due} 前出具评议意见，其间审核期限暂停计算。",
            f"The experts give their opinion by {expert_due}; the decision period is paused meanwhile.",
            step=ctx,
        )
        notify_organization(
            session,
            None,
            Role.EXPERT,
            Message(
                kind="access.referred",
                title_zh="有数据申请提交专家委员会评议",
                title_en="A data application was referred to the expert committee",
                body_zh=ctx.note,
                body_en=ctx.note,
                subject_type=SUBJECT,
                subject_id=app.id,
                link=f"/access/applications/{app.id}/opinion",
            ),
        )
    elif action == "resume":
        move(app, "resume")
        recorded["opinions"] = len(app.expert_opinions or [])
        audit_app(session, ctx.actor, app, "resume", recorded)
        tell_applicant(
            session,
            app,
            "access.expert_review_closed",
            "专家评议结束，数据申请恢复审核",
            "The expert review is over: the decision on your application resumes",
            "审核期限按暂停时剩余的工作日继续计算，详见申请页面。",
            "The decision period resumes with the working days that were left; see the application.",
            step=ctx,
        )
    elif action == "withdraw":
        move(app, "withdraw")
        audit_app(session, ctx.actor, app, "withdraw", recorded)
    ctx.order.payload = payload
    return recorded


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationFailed(
            "dates are YYYY-MM-DD", message_zh="日期格式应为YYYY-MM-DD", code="invalid_date"
        ) from exc


def approved_scope(app: AccessApplication, details: Mapping[str, Any]) -> dict[str, Any]:
    """The requested scope, narrowed by the provider's details (fields, period, daily call quota), and
    the provider's daily quota of rows, if any (applicants do not ask for one; it only narrows)."""
    if app.period_start is None or app.period_end is None:
        raise Conflict("the application has no period", message_zh="申请未填写期限", code="invalid_state")
    requested = model.Scope(
        fields=tuple(app.fields),
        period_start=app.period_start,
        period_end=app.period_end,
        daily_quota=app.daily_quota or 10**9,
        row_filter=tuple(app.row_filter or ()),
    )
    raw_fields = details.get("fields")
    quota = details.get("daily_quota")
    try:
        scope = model.narrowed_scope(
            requested,
            fields=[str(f) for f in raw_fields] if isinstance(raw_fields, list) else None,
            period_start=_date(details.get("period_start")),
            period_end=_date(details.get("period_end")),
            daily_quota=int(quota) if isinstance(quota, int | str) and str(quota).strip() else None,
        )
    except ApplicationError as exc:
        raise app_error(exc) from exc
    return {
        "fields": list(scope.fields),
        "period_start": scope.period_start.isoformat(),
        "period_end": scope.period_end.isoformat(),
        "daily_quota": scope.daily_quota if scope.daily_quota < 10**9 else None,
        "daily_row_quota": _row_quota(details.get("daily_row_quota")),
        "row_filter": [dict(f) for f in scope.row_filter],
    }


def _row_quota(value: Any) -> int | None:
    """The provider's daily quota of rows delivered (a positive whole number), or None: no row limit."""
    if value in (None, ""):
        return None
    try:
        rows = int(str(value).strip())
    except ValueError:
        rows = 0
    if rows < 1:
        raise ValidationFailed(
            "the daily row quota is a whole number of at least 1",
            message_zh="每日获取数据量上限须为不小于1的整数",
            code="invalid_row_quota",
            details=[{"field": "daily_row_quota"}],
        )
    return rows


registry.register_type(CHECK, _check_handler)
registry.register_type(DECISION, _decision_handler)


def expert_time_up(session: Session, ctx: JobContext) -> dict[str, int]:
    """Resume decision clocks whose expert period ran out (the referral rule)."""
    resumed = 0
    orders = session.scalars(
        select(WorkOrder).where(WorkOrder.type == DECISION.name, WorkOrder.state == "with_experts")
    ).all()
    for order in orders:
        due = (order.payload or {}).get("expert_due_at")
        if due and ctx.now > datetime.fromisoformat(str(due)):
            engine.act(
                session,
                actor=SYSTEM,
                order=order,
                action="resume",
                calendar=ctx.calendar,
                now=ctx.now,
                note="专家评议期限届满 / expert period over",
            )
            resumed += 1
    return {"resumed": resumed}


registry.register_job("access.expert_time_up", expert_time_up)
