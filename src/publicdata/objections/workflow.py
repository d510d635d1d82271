"""Work-order types of objections and complaints, their handlers, and the marking-deadline job.

Three order types (see docs/objections.md):

- `objection_review` — the center's order, SLA **2** working days from receipt: `mark` (the dataset
  shows "objection pending"), then `uphold` / `dismiss` (a correction in the center's own scope) or
  `forward` to the provider. The **1**-working-day marking deadline is tracked on the objection
  (`mark_due_at`) and flagged once by the `objections.mark_overdue` job of `tick`; the engine flags the
  2-day decision deadline like any order.
- `objection_verification` — the provider's order opened by `forward`, SLA **5** working days from
  forwarding: `uphold` / `dismiss`.
- `rights_complaint` — the provider's order, SLA **5** working days: `suspend` at once (keeps the
  clock), then `withdraw`, `restore` or `reprocess`.

Handlers run in the engine's transaction, so the same rules apply whether a step comes from the
objection API, the portal, or the generic work-order API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.catalog import service as catalog
from publicdata.catalog.tables import Dataset
from publicdata.datastore.tables import DatasetHead, DataVersion
from publicdata.errors import Conflict, ValidationFailed
from publicdata.identity.model import Role
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.notifications.service import Message, notify_organization, notify_user
from publicdata.objections import model
from publicdata.objections.model import (
    ObjectionStatus,
    Outcome,
    RuleError,
)
from publicdata.objections.tables import Objection
from publicdata.workdays.model import WorkdayCalendar, shanghai_date
from publicdata.workorders import engine, registry
from publicdata.workorders.model import ClockEffect, Party, Transition, WorkOrderType
from publicdata.workorders.registry import ActionContext, JobContext
from publicdata.workorders.tables import WorkOrder

SAME_SLA = {"city": model.CENTER_DECISION_WORKING_DAYS, "district": model.CENTER_DECISION_WORKING_DAYS}


def step(
    action: str, sources: set[str], target: str, party: Party, clock: ClockEffect, zh: str, en: str
) -> Transition:
    return Transition(
        action,
        frozenset(sources),
        target,
        party,
        clock,
        note_required=clock is ClockEffect.STOP,
        label_zh=zh,
        label_en=en,
    )


OBJECTION_REVIEW = WorkOrderType(
    name="objection_review",
    label_zh="数据异议处理工单",
    label_en="data objection",
    states=frozenset({"received", "marked", "forwarded", "upheld", "dismissed"}),
    initial_state="received",
    final_states=frozenset({"forwarded", "upheld", "dismissed"}),
    transitions=(
        step("mark", {"received"}, "marked", Party.RESPONSIBLE, ClockEffect.KEEP, "已标注", "marked"),
        step(
            "forward",
            {"received", "marked"},
            "forwarded",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            "转数据提供方核实",
            "forwarded",
        ),
        step(
            "uphold",
            {"received", "marked"},
            "upheld",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            "异议成立",
            "upheld",
        ),
        step(
            "dismiss",
            {"received", "marked"},
            "dismissed",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            "异议不成立",
            "dismissed",
        ),
    ),
    # QUA-3 (001 §23): decide within 2 working days, or forward; the same in city and district.
    sla_working_days=SAME_SLA,
    responsible_role=Role.CENTER.value,
    state_labels={
        "received": ("待标注", "to mark"),
        "marked": ("已标注，待处理", "marked"),
        "forwarded": ("已转提供方", "forwarded"),
        "upheld": ("异议成立", "upheld"),
        "dismissed": ("异议不成立", "dismissed"),
    },
)

OBJECTION_VERIFICATION = WorkOrderType(
    name="objection_verification",
    label_zh="数据异议核实工单",
    label_en="objection verification",
    states=frozenset({"verifying", "upheld", "dismissed"}),
    initial_state="verifying",
    final_states=frozenset({"upheld", "dismissed"}),
    transitions=(
        step("uphold", {"verifying"}, "upheld", Party.RESPONSIBLE, ClockEffect.STOP, "异议成立", "upheld"),
        step(
            "dismiss",
            {"verifying"},
            "dismissed",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            "异议不成立",
            "dismissed",
        ),
    ),
    # QUA-3: the provider verifies and decides within 5 working days of forwarding.
    sla_working_days={
        "city": model.PROVIDER_DECISION_WORKING_DAYS,
        "district": model.PROVIDER_DECISION_WORKING_DAYS,
    },
    responsible_role=Role.PROVIDER_STAFF.value,
    requester_role=Role.CENTER.value,
    state_labels={
        "verifying": ("核实中", "verifying"),
        "upheld": ("异议成立", "upheld"),
        "dismissed": ("异议不成立", "dismissed"),
    },
)


def rule_error(exc: RuleError) -> ValidationFailed | Conflict:
    details = [{"field": exc.field, "message": exc.message_en}] if exc.field else None
    if exc.code in ("text_required", "unknown_field", "correction_required"):
        return ValidationFailed(exc.message_en, message_zh=exc.message_zh, code=exc.code, details=details)
    return Conflict(exc.message_en, message_zh=exc.message_zh, code=exc.code, details=details)


def checked_statement(
    description: str, fields: list[str] | None, dataset_fields: Iterable[str], *, label_zh: str
) -> tuple[str, list[str]]:
    """An objection's or complaint's description and the data items it names, checked (422 on error)."""
    try:
        text = model.check_text(description, field="description", minimum=5, label_zh=label_zh)
        return text, model.check_field_hints(fields or [], dataset_fields)
    except RuleError as exc:
        raise rule_error(exc) from exc


def current_version(session: Session, dataset_id: str) -> int | None:
    head = session.get(DatasetHead, dataset_id)
    return head.version if head is not None else None


def dataset_versions(session: Session, dataset_id: str) -> list[int]:
    return list(session.scalars(select(DataVersion.version).where(DataVersion.dataset_id == dataset_id)))


def shanghai_day(at: datetime) -> str:
    return shanghai_date(at).isoformat()


# ---------------------------------------------------------------------------------------------
# Objections
# ---------------------------------------------------------------------------------------------


def objection_message(
    objection: Objection, dataset_name: str, zh: str, en: str, body_zh: str, body_en: str
) -> Message:
    return Message(
        kind=f"objection.{objection.status}",
        title_zh=f"{zh}：{dataset_name}（{objection.dataset_code}）",
        title_en=f"{en}: {dataset_name} ({objection.dataset_code})",
        body_zh=body_zh,
        body_en=body_en,
        subject_type="objection",
        subject_id=objection.id,
        link=f"/objections/{objection.id}",
    )


def _objection_for(session: Session, order: WorkOrder) -> Objection:
    objection = session.scalar(select(Objection).where(Objection.id == order.subject_id).with_for_update())
    if objection is None:
        raise Conflict("the order has no objection", message_zh="工单对应的异议不存在", code="no_objection")
    return objection


def _mark(objection: Objection, now: datetime) -> bool:
    """Put the marker on (once); returns True when it was late."""
    if objection.marked_at is None:
        objection.marked_at = now
        if objection.status == ObjectionStatus.RECEIVED.value:
            objection.status = ObjectionStatus.MARKED.value
    return objection.marked_at > objection.mark_due_at


def correction_check(
    session: Session, objection: Objection, details: Mapping[str, Any]
) -> tuple[int | None, str | None]:
    """Validate a correction link ({version, change_order_id}) for the objection's dataset."""
    raw_version = details.get("version")
    change_order_id = str(details.get("change_order_id") or "").strip() or None
    version: int | None = None
    if raw_version not in (None, ""):
        try:
            version = int(str(raw_version))
        except ValueError as exc:
            raise ValidationFailed(
                "version must be a number", message_zh="版本号须为数字", details=[{"field": "version"}]
            ) from exc
    order_ok = False
    if change_order_id:
        change = session.get(WorkOrder, change_order_id)
        order_ok = bool(
            change is not None
            and change.type == "open_list_change"
            and change.subject_id == objection.dataset_id
            and change.received_at >= objection.received_at
        )
    try:
        model.check_correction(
            version=version,
            known_versions=dataset_versions(session, objection.dataset_id),
            baseline_version=objection.data_version,
            change_order_id=change_order_id,
            change_order_ok=order_ok,
        )
    except RuleError as exc:
        raise rule_error(exc) from exc
    return version, change_order_id


def apply_correction(
    session: Session, *, actor: Principal, objection: Objection, details: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    version, change_order_id = correction_check(session, objection, details)
    objection.correction_version = version
    objection.correction_order_id = change_order_id
    objection.corrected_at = now
    objection.status = ObjectionStatus.CORRECTED.value
    objection.revision += 1
    recorded = {"correction_version": version, "correction_order_id": change_order_id}
    record_audit(
        session,
        actor=actor,
        action="objection.correct",
        subject_type="objection",
        subject_id=objection.id,
        organization_id=objection.provider_id,
        details={"dataset": objection.dataset_code, **recorded},
    )
    return recorded


def decide(
    session: Session,
    *,
    actor: Principal,
    objection: Objection,
    dataset_name: str,
    outcome: Outcome,
    result: str,
    by: str,
    details: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Record the decision, apply a correction link if given, and tell the objector the result."""
    objection.outcome = outcome.value
    objection.result = result
    objection.decided_by = by
    objection.decided_at = now
    objection.status = (
        ObjectionStatus.UPHELD if outcome is Outcome.UPHELD else ObjectionStatus.DISMISSED
    ).value
    objection.revision += 1
    recorded: dict[str, Any] = {"objection": objection.id, "outcome": outcome.value, "decided_by": by}
    wants_link = details.get("version") not in (None, "") or bool(details.get("change_order_id"))
    if outcome is Outcome.UPHELD and wants_link:
        recorded |= apply_correction(session, actor=actor, objection=objection, details=details, now=now)
    zh, en = model.OUTCOME_LABELS[outcome]
    side_zh = "平台运营机构" if by == "center" else "数据提供方"
    side_en = "the center" if by == "center" else "the provider"
    follow_zh = "数据将按程序更正并形成新的数据版本。" if outcome is Outcome.UPHELD else ""
    follow_en = " The data will be corrected in a new version." if outcome is Outcome.UPHELD else ""
    notify_user(
        session,
        objection.objector_id,
        objection_message(
            objection,
            dataset_name,
            f"异议处理结果（{zh}）",
            f"Objection result ({en})",
            f"经{side_zh}核实，{zh}。处理结果：{result}{follow_zh}",
            f"Verified by {side_en}: {en}. Result: {result}{follow_en}",
        ),
    )
    return recorded


def _dataset(session: Session, dataset_id: str) -> Dataset:
    return catalog.find_dataset(session, dataset_id)


def _outcome_of(action: str) -> Outcome:
    return Outcome.UPHELD if action == "uphold" else Outcome.DISMISSED


def _review_handle(session: Session, ctx: ActionContext) -> dict[str, Any]:
    objection = _objection_for(session, ctx.order)
    dataset = _dataset(session, objection.dataset_id)
    action = ctx.transition.action
    late = _mark(objection, ctx.now)
    recorded: dict[str, Any] = {"objection": objection.id, "dataset": objection.dataset_code}
    if action == "mark":
        recorded |= {"marked_at": ctx.now.isoformat(), "mark_late": late}
        objection.revision += 1
        notify_user(
            session,
            objection.objector_id,
            objection_message(
                objection,
                dataset.name,
                "异议已受理并标注",
                "Objection received and marked",
                f"数据集已标注“异议处理中”，将于{shanghai_day(ctx.order.due_at)}前作出处理或转数据提供方核实。",
                f"The dataset now shows 'objection pending'; a decision or forwarding is due by "
                f"{shanghai_day(ctx.order.due_at)}.",
            ),
        )
        return recorded
    if action == "forward":
        verification = engine.open_order(
            session,
            actor=ctx.actor,
            order_type=OBJECTION_VERIFICATION,
            subject_type="objection",
            subject_id=objection.id,
            title=f"数据异议核实：{dataset.name}（{dataset.code}）",
            requester_id=ctx.actor.user_id,
            requester_org_id=ctx.actor.organization_id,
            responsible_org_id=objection.provider_id,
            jurisdiction=ctx.order.jurisdiction,
            calendar=ctx.calendar,
            now=ctx.now,
            payload={
                "objection_id": objection.id,
                "dataset_id": dataset.id,
                "dataset_code": dataset.code,
                "kind": objection.kind,
                "review_order_id": ctx.order.id,
            },
            note=ctx.note,
        )
        objection.verification_order_id = verification.id
        objection.forwarded_at = ctx.now
        objection.status = ObjectionStatus.FORWARDED.value
        objection.revision += 1
        notify_user(
            session,
            objection.objector_id,
            objection_message(
                objection,
                dataset.name,
                "异议已转数据提供方核实",
                "Objection forwarded to the provider",
                f"数据提供方将于{shanghai_day(verification.due_at)}前核实处理。",
                f"The provider verifies and decides by {shanghai_day(verification.due_at)}.",
            ),
        )
        return recorded | {
            "verification_order_id": verification.id,
            "provider_due_at": verification.due_at.isoformat(),
        }
    return recorded | decide(
        session,
        actor=ctx.actor,
        objection=objection,
        dataset_name=dataset.name,
        outcome=_outcome_of(action),
        result=ctx.note,
        by="center",
        details=ctx.details,
        now=ctx.now,
    )


def _verification_handle(session: Session, ctx: ActionContext) -> dict[str, Any]:
    objection = _objection_for(session, ctx.order)
    dataset = _dataset(session, objection.dataset_id)
    return decide(
        session,
        actor=ctx.actor,
        objection=objection,
        dataset_name=dataset.name,
        outcome=_outcome_of(ctx.transition.action),
        result=ctx.note,
        by="provider",
        details=ctx.details,
        now=ctx.now,
    )


def mark_overdue_job(session: Session, ctx: JobContext) -> dict[str, int]:
    """Flag, once, every objection not marked by its 1-working-day deadline (center and authority told)."""
    late = list(
        session.scalars(
            select(Objection)
            .where(
                Objection.marked_at.is_(None),
                Objection.mark_overdue_at.is_(None),
                Objection.mark_due_at < ctx.now,
                Objection.status == ObjectionStatus.RECEIVED.value,
            )
            .order_by(Objection.mark_due_at, Objection.id)
            .with_for_update()
        )
    )
    notified = 0
    for objection in late:
        objection.mark_overdue_at = ctx.now
        details = {"mark_due_at": objection.mark_due_at.isoformat(), "dataset": objection.dataset_code}
        order = session.get(WorkOrder, objection.review_order_id) if objection.review_order_id else None
        if order is not None:
            engine.add_event(session, order, actor=SYSTEM, action="mark_overdue", at=ctx.now, details=details)
        record_audit(
            session,
            actor=SYSTEM,
            action="objection.mark_overdue",
            subject_type="objection",
            subject_id=objection.id,
            organization_id=objection.provider_id,
            details=details,
        )
        due = shanghai_day(objection.mark_due_at)
        message = Message(
            kind="objection.mark_overdue",
            title_zh=f"数据异议未按期标注：{objection.dataset_code}",
            title_en=f"Objection not marked in time: {objection.dataset_code}",
            body_zh=f"应于{due}前标注，已超期。",
            body_en=f"It had to be marked by {due}.",
            subject_type="objection",
            subject_id=objection.id,
            link=f"/center/objections/{objection.id}",
            dedupe_key=f"objection.mark_overdue:{objection.id}",
        )
        notified += notify_organization(session, None, Role.CENTER, message)
        notified += notify_organization(session, None, Role.AUTHORITY, message)
    return {"mark_overdue": len(late), "notified": notified}


registry.register_type(OBJECTION_REVIEW, _review_handle)
registry.register_type(OBJECTION_VERIFICATION, _verification_handle)
registry.register_job("objections.mark_overdue", mark_overdue_job)


def due_for_mark(calendar: WorkdayCalendar, received_at: datetime) -> datetime:
    return calendar.deadline(received_at, model.MARK_WORKING_DAYS).due_at


# The rights-complaint order type registers with this module (DEFINITION_MODULES names only this one).
from publicdata.objections import complaint_workflow  # noqa: E402, F401
