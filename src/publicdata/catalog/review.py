"""Open-list change review (CAT-6, CAT-7, CAT-8) on the work-order engine.

Provider staff submit a work order to add, modify, reclassify or remove (make not-open) an open-list
entry, or to make it static, always with a reason; making an entry not open needs a supporting
document. The center reviews within the jurisdiction's SLA: approve → the new version is published in
the same transaction; return → one or more fixed reasons, all at once. The provider amends and
resubmits on the same order.

Two ways a change is carried:
- **Draft entries** (a new entry, or any change to an entry never published): the dataset row itself is
  reviewed. Submitting moves it to `in_review` (not editable); a return moves it back to `draft`, the
  provider edits it with `update_dataset`, and resubmits; approval publishes it.
- **Published or static entries**: the public version stays online during review. The change is carried
  in the order as `proposed` (DatasetPatch fields), validated against the current entry at submission
  and at resubmission; approval applies it and records a new catalog version (content hash).
  `make_static` turns a published entry static at approval (its history stays downloadable).

The clock: a return pauses it; a resubmission starts a fresh full SLA (the center reviews a new
version); a request for supplementary material pauses it and the supplement resumes it with the
remaining working days carried over (see workorders/model.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.catalog import service as catalog
from publicdata.catalog.model import VISIBLE_STATES, DatasetState, OpenClass, UpdateFrequency
from publicdata.catalog.schemas import DatasetPatch
from publicdata.catalog.tables import Dataset
from publicdata.db import utcnow
from publicdata.errors import Conflict, ValidationFailed
from publicdata.identity import permissions as rules
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform
from publicdata.workdays.service import calendar_from_session
from publicdata.workorders import engine, registry
from publicdata.workorders import service as workorders
from publicdata.workorders.model import ClockEffect, Party, Transition, WorkOrderType
from publicdata.workorders.registry import ActionContext
from publicdata.workorders.schemas import WorkOrderOut, order_out
from publicdata.workorders.tables import WorkOrder


class ChangeKind(StrEnum):
    ADD = "add"  # 新增
    MODIFY = "modify"  # 修改
    RECLASSIFY = "reclassify"  # 调整开放类型
    REMOVE = "remove"  # 调整为非开放
    MAKE_STATIC = "make_static"  # 转为静态数据


CHANGE_LABELS: dict[ChangeKind, tuple[str, str]] = {
    ChangeKind.ADD: ("新增", "add"),
    ChangeKind.MODIFY: ("修改", "modify"),
    ChangeKind.RECLASSIFY: ("调整开放类型", "reclassify"),
    ChangeKind.REMOVE: ("调整为非开放", "make not open"),
    ChangeKind.MAKE_STATIC: ("转为静态", "make static"),
}


class ReturnReason(StrEnum):
    """The fixed reasons a reviewer may return a change for (002 §11)."""

    NO_REASONABLE_REASON = "no_reasonable_reason"  # 无合理理由调整的
    INCOMPLETE_INFORMATION = "incomplete_information"  # 信息不完整的
    NOT_MATCHING_GRADING_RULES = "not_matching_grading_rules"  # 不符合分级分类规则的
    OTHER = "other"  # 其他 (with text)


RETURN_REASON_LABELS: dict[ReturnReason, tuple[str, str]] = {
    ReturnReason.NO_REASONABLE_REASON: ("无合理理由调整", "No reasonable reason for the change"),
    ReturnReason.INCOMPLETE_INFORMATION: ("信息不完整", "Incomplete information"),
    ReturnReason.NOT_MATCHING_GRADING_RULES: ("不符合分级分类规则", "Does not match the grading rules"),
    ReturnReason.OTHER: ("其他", "Other"),
}

_CLASSIFICATION_FIELDS = frozenset(
    {"open_class", "grading", "conditions", "not_open_reason", "opening_basis", "classification_note"}
)

OPEN_LIST_CHANGE = registry.register_type(
    WorkOrderType(
        name="open_list_change",
        label_zh="开放清单调整工单",
        label_en="open-list change",
        states=frozenset({"in_review", "returned", "awaiting_supplement", "approved", "withdrawn"}),
        initial_state="in_review",
        final_states=frozenset({"approved", "withdrawn"}),
        transitions=(
            Transition(
                "approve",
                frozenset({"in_review"}),
                "approved",
                Party.RESPONSIBLE,
                ClockEffect.STOP,
                label_zh="审核通过",
                label_en="approved",
            ),
            Transition(
                "return",
                frozenset({"in_review"}),
                "returned",
                Party.RESPONSIBLE,
                ClockEffect.PAUSE,
                label_zh="退回",
                label_en="returned",
            ),
            Transition(
                "request_supplement",
                frozenset({"in_review"}),
                "awaiting_supplement",
                Party.RESPONSIBLE,
                ClockEffect.PAUSE,
                note_required=True,
                label_zh="要求补充材料",
                label_en="supplement requested",
            ),
            Transition(
                "supplement",
                frozenset({"awaiting_supplement"}),
                "in_review",
                Party.REQUESTER,
                ClockEffect.RESUME,
                label_zh="已补充材料",
                label_en="supplemented",
            ),
            Transition(
                "resubmit",
                frozenset({"returned"}),
                "in_review",
                Party.REQUESTER,
                ClockEffect.RESTART,
                label_zh="重新提交",
                label_en="resubmitted",
            ),
            Transition(
                "withdraw",
                frozenset({"in_review", "returned", "awaiting_supplement"}),
                "withdrawn",
                Party.REQUESTER,
                ClockEffect.STOP,
                label_zh="撤回",
                label_en="withdrawn",
            ),
        ),
        # The regulations give no separate period for list review; the 5-working-day review period of
        # 002 §19 is used for both profiles (configuration, not code, if a jurisdiction differs).
        sla_working_days={"city": 5, "district": 5},
        responsible_role=Role.CENTER.value,
        requester_role=Role.PROVIDER_STAFF.value,
        max_extension_days=5,
        state_labels={
            "in_review": ("审核中", "in review"),
            "returned": ("已退回", "returned"),
            "awaiting_supplement": ("待补充材料", "awaiting supplement"),
            "approved": ("已通过", "approved"),
            "withdrawn": ("已撤回", "withdrawn"),
        },
    )
)


def _problem(message_en: str, message_zh: str, field: str, code: str = "invalid_change") -> ValidationFailed:
    return ValidationFailed(
        message_en, message_zh=message_zh, code=code, details=[{"field": field, "message": message_en}]
    )


def _proposed_changes(proposed: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate proposed fields as a DatasetPatch; returns the set fields as JSON-ready values."""
    if not proposed:
        return {}
    patch = DatasetPatch.model_validate({**proposed, "revision": 0})
    return patch.model_dump(mode="json", exclude_unset=True, exclude={"revision"})


def _plan(
    kind: ChangeKind, dataset: Dataset, proposed: Mapping[str, Any] | None, documents: list[dict[str, Any]]
) -> dict[str, Any]:
    """Check a change against the entry; returns the payload fields (mode, proposed)."""
    state = DatasetState(dataset.state)
    changes = _proposed_changes(proposed)
    if kind is ChangeKind.REMOVE:
        if "not_open_reason" not in changes:
            raise _problem(
                "making an entry not open names one of the listed reasons",
                "调整为非开放须说明非开放理由",
                "proposed.not_open_reason",
            )
        changes |= {
            "open_class": OpenClass.NOT_OPEN.value,
            "conditions": [],
            "opening_basis": None,
            "application_materials": [],
        }
    if kind is ChangeKind.MAKE_STATIC:
        if state is not DatasetState.PUBLISHED:
            raise Conflict(
                "only a published entry can be made static",
                message_zh="仅已发布的数据集可转为静态",
                code="invalid_change",
            )
        changes = {"update_frequency": UpdateFrequency.STATIC.value}
    if kind is ChangeKind.RECLASSIFY and not (set(changes) & _CLASSIFICATION_FIELDS):
        raise _problem(
            "a reclassification proposes a new open class or grading",
            "调整开放类型须提出新的开放类型或分级",
            "proposed",
        )
    if kind in (ChangeKind.MODIFY, ChangeKind.RECLASSIFY) and state in VISIBLE_STATES and not changes:
        raise _problem("say what changes (proposed fields)", "请填写拟修改的内容", "proposed")

    if state in (DatasetState.DRAFT,):
        if kind in (ChangeKind.REMOVE, ChangeKind.MAKE_STATIC):
            raise Conflict(
                "this change applies to published entries",
                message_zh="该调整仅适用于已发布的数据集",
                code="invalid_change",
            )
        mode = "entry"
        target = catalog.merged_entry(dataset, changes) if changes else catalog.as_input(dataset)
        if not changes:
            catalog.validate_entry(target)
    elif state in VISIBLE_STATES:
        if kind is ChangeKind.ADD:
            raise Conflict(
                "the entry is already on the open list",
                message_zh="该数据集已在开放清单中",
                code="invalid_change",
            )
        mode = "proposed"
        target = catalog.merged_entry(dataset, changes)
    else:
        raise Conflict(
            f"a dataset that is {state.value} cannot be changed by review",
            message_zh="数据集当前状态不可提交调整",
            code="invalid_change",
        )
    becomes_not_open = target.open_class is OpenClass.NOT_OPEN and (
        dataset.open_class != OpenClass.NOT_OPEN.value or kind is ChangeKind.REMOVE
    )
    if becomes_not_open and not documents:
        raise _problem(
            "changing an entry to not open needs a supporting document",
            "调整为非开放的，应当提供证明文件",
            "documents",
            code="document_required",
        )
    return {"mode": mode, "proposed": changes}


def _open_change(session: Session, dataset_id: str) -> WorkOrder | None:
    return session.scalar(
        select(WorkOrder).where(
            WorkOrder.type == OPEN_LIST_CHANGE.name,
            WorkOrder.subject_type == "dataset",
            WorkOrder.subject_id == dataset_id,
            WorkOrder.closed_at.is_(None),
        )
    )


def submit_open_list_change(
    platform: Platform,
    *,
    actor: Principal,
    dataset_ref: str,
    change: ChangeKind,
    reason: str,
    proposed: Mapping[str, Any] | None = None,
    documents: list[str] | None = None,
    now: datetime | None = None,
) -> WorkOrderOut:
    """Provider staff submit a change of their open list (CAT-6); the center reviews it."""
    now = now or utcnow()
    if not reason.strip():
        raise _problem("a change needs a reason", "调整须说明原因", "reason")
    with platform.db.transaction() as session:
        dataset = catalog.find_dataset(session, dataset_ref)
        require(rules.can_submit_open_list_change(actor, dataset.provider_id))
        # Two submissions for one entry queue here (row lock on PostgreSQL; SQLite writers serialize).
        session.execute(select(Dataset.id).where(Dataset.id == dataset.id).with_for_update())
        if _open_change(session, dataset.id) is not None:
            raise Conflict(
                "this entry already has an open change order",
                message_zh="该数据集已有办理中的调整工单",
                code="change_pending",
            )
        files = engine.resolve_attachments(session, documents or [], actor)
        plan = _plan(change, dataset, proposed, files)
        if plan["mode"] == "entry":
            if plan["proposed"]:
                catalog.apply_entry_changes(
                    session,
                    actor=actor,
                    dataset=dataset,
                    changes=plan["proposed"],
                    note="submitted for review",
                )
            catalog.transition_dataset(
                session, actor=actor, dataset=dataset, target=DatasetState.IN_REVIEW, reason=reason
            )
        calendar = calendar_from_session(session)
        zh, en = CHANGE_LABELS[change]
        order = engine.open_order(
            session,
            actor=actor,
            order_type=OPEN_LIST_CHANGE,
            subject_type="dataset",
            subject_id=dataset.id,
            title=f"{zh}：{dataset.name}（{dataset.code}）",
            requester_id=actor.user_id,
            requester_org_id=dataset.provider_id,
            responsible_org_id=None,  # any center staff
            jurisdiction=platform.settings.jurisdiction.value,
            calendar=calendar,
            now=now,
            payload={
                "change": change.value,
                "change_label": zh,
                "change_label_en": en,
                "dataset_id": dataset.id,
                "dataset_code": dataset.code,
                "reason": reason,
                "mode": plan["mode"],
                "proposed": plan["proposed"],
                "documents": files,
                "base_revision": dataset.revision,
                "rounds": 1,
                "return_reasons": [],
            },
            note=reason,
            attachments=files,
        )
        return order_out(order, calendar, now, actor)


def _reasons(details: Mapping[str, Any]) -> tuple[list[str], str]:
    raw = details.get("reasons")
    if not isinstance(raw, list) or not raw:
        raise _problem(
            "give one or more return reasons, all at once",
            "请一次性列明全部退回理由",
            "reasons",
            code="reasons_required",
        )
    try:
        reasons = list(dict.fromkeys(ReturnReason(str(r)).value for r in raw))
    except ValueError as exc:
        allowed = ", ".join(r.value for r in ReturnReason)
        raise _problem(
            f"unknown return reason (allowed: {allowed})", "退回理由不在规定范围内", "reasons"
        ) from exc
    other = str(details.get("other_text") or "").strip()
    if ReturnReason.OTHER.value in reasons and not other:
        raise _problem("the reason 'other' needs a text", "选择“其他”理由须填写说明", "other_text")
    return reasons, other


def _handle(session: Session, ctx: ActionContext) -> dict[str, Any]:
    """The open-list side of each action, in the engine's transaction."""
    order, action = ctx.order, ctx.transition.action
    payload = dict(order.payload or {})
    dataset = catalog.find_dataset(session, str(payload["dataset_id"]))
    entry_mode = payload.get("mode") == "entry"
    recorded: dict[str, Any] = {"dataset": dataset.code}
    if action == "approve":
        kind = ChangeKind(payload["change"])
        note = f"open-list change {order.id} approved"
        if entry_mode:
            catalog.apply_publication(session, actor=ctx.actor, dataset=dataset, note=note)
        else:
            catalog.apply_entry_changes(
                session, actor=ctx.actor, dataset=dataset, changes=payload["proposed"], note=note
            )
            if kind is ChangeKind.MAKE_STATIC:
                catalog.transition_dataset(
                    session,
                    actor=ctx.actor,
                    dataset=dataset,
                    target=DatasetState.STATIC,
                    reason=str(payload.get("reason", "")),
                )
            elif dataset.state == DatasetState.PUBLISHED.value:
                catalog.apply_publication(
                    session, actor=ctx.actor, dataset=dataset, note=note, republish=True
                )
        recorded |= {"dataset_state": dataset.state, "content_hash": catalog.content_hash(dataset)}
    elif action == "return":
        reasons, other = _reasons(ctx.details)
        payload["return_reasons"] = reasons
        payload["return_other_text"] = other
        if entry_mode:
            catalog.transition_dataset(
                session,
                actor=ctx.actor,
                dataset=dataset,
                target=DatasetState.DRAFT,
                reason="returned: " + ", ".join(reasons),
            )
        recorded |= {"reasons": reasons, "other_text": other}
    elif action in ("resubmit", "supplement"):
        documents = list(payload.get("documents", [])) + ctx.attachments
        changes = ctx.details.get("proposed")
        if entry_mode and action == "resubmit":
            # The returned entry is a draft again: check it (with any last changes) as a whole.
            plan = _plan(
                ChangeKind(payload["change"]),
                dataset,
                changes if isinstance(changes, dict) else None,
                documents,
            )
            if plan["proposed"]:
                catalog.apply_entry_changes(
                    session, actor=ctx.actor, dataset=dataset, changes=plan["proposed"], note="amended"
                )
            catalog.transition_dataset(
                session,
                actor=ctx.actor,
                dataset=dataset,
                target=DatasetState.IN_REVIEW,
                reason=ctx.note or action,
            )
        elif entry_mode and isinstance(changes, dict):
            # A supplement to an entry under review may correct it (the reviewer asked for it).
            catalog.apply_entry_changes(
                session,
                actor=ctx.actor,
                dataset=dataset,
                changes=_proposed_changes(changes),
                note="supplemented",
            )
        elif isinstance(changes, dict):
            payload["proposed"] = _plan(ChangeKind(payload["change"]), dataset, changes, documents)[
                "proposed"
            ]
        payload["documents"] = documents
        payload["rounds"] = int(payload.get("rounds", 1)) + (1 if action == "resubmit" else 0)
        payload["base_revision"] = dataset.revision
        recorded |= {
            "round": payload["rounds"],
            "revision": dataset.revision,
            "content_hash": catalog.content_hash(dataset),
        }
    elif action == "withdraw" and entry_mode and dataset.state == DatasetState.IN_REVIEW.value:
        catalog.transition_dataset(
            session,
            actor=ctx.actor,
            dataset=dataset,
            target=DatasetState.DRAFT,
            reason="change order withdrawn",
        )
    order.payload = payload
    return recorded


registry.register_type(OPEN_LIST_CHANGE, _handle)


# ---------------------------------------------------------------------------------------------
# Reviewer and provider steps (thin wrappers that check the order is an open-list change)
# ---------------------------------------------------------------------------------------------


def _ensure_change_order(platform: Platform, order_id: str) -> None:
    with platform.db.reading() as session:
        order = engine.find_order(session, order_id)
        if order.type != OPEN_LIST_CHANGE.name:
            raise Conflict(
                "not an open-list change order",
                message_zh="该工单不是开放清单调整工单",
                code="wrong_order_type",
            )


def return_change(
    platform: Platform,
    *,
    actor: Principal,
    order_id: str,
    reasons: list[ReturnReason],
    other_text: str = "",
    note: str = "",
    now: datetime | None = None,
) -> WorkOrderOut:
    """The center returns a change with every reason at once; the entry becomes editable again."""
    _ensure_change_order(platform, order_id)
    return workorders.act_on_order(
        platform,
        actor=actor,
        order_id=order_id,
        action="return",
        note=note,
        details={"reasons": [r.value for r in reasons], "other_text": other_text},
        now=now,
    )


def approve_change(
    platform: Platform, *, actor: Principal, order_id: str, note: str = "", now: datetime | None = None
) -> WorkOrderOut:
    """The center approves: the new version is published in the same transaction."""
    _ensure_change_order(platform, order_id)
    return workorders.act_on_order(
        platform, actor=actor, order_id=order_id, action="approve", note=note, now=now
    )


def resubmit_change(
    platform: Platform,
    *,
    actor: Principal,
    order_id: str,
    note: str = "",
    proposed: Mapping[str, Any] | None = None,
    documents: list[str] | None = None,
    now: datetime | None = None,
) -> WorkOrderOut:
    """The provider resubmits the amended change on the same order (a fresh review period)."""
    _ensure_change_order(platform, order_id)
    details: dict[str, object] = {"proposed": dict(proposed)} if proposed else {}
    return workorders.act_on_order(
        platform,
        actor=actor,
        order_id=order_id,
        action="resubmit",
        note=note,
        details=details,
        attachments=documents or [],
        now=now,
    )
