"""The rights-complaint work order (QUA-4): the provider suspends at once, verifies, then withdraws,
restores or reprocesses. Registered when `publicdata.objections.workflow` is loaded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.catalog import service as catalog
from publicdata.catalog.model import DatasetState
from publicdata.catalog.tables import Dataset
from publicdata.datastore.retraction import retract_versions
from publicdata.errors import Conflict, ValidationFailed
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.notifications.service import Message, notify_organization, notify_user
from publicdata.objections import model
from publicdata.objections.model import ComplaintDecision, ComplaintStatus, RuleError
from publicdata.objections.tables import RightsComplaint
from publicdata.objections.workflow import current_version, dataset_versions, rule_error, shanghai_day, step
from publicdata.workorders import registry
from publicdata.workorders.model import ClockEffect, Party, WorkOrderType
from publicdata.workorders.registry import ActionContext

RIGHTS_COMPLAINT = WorkOrderType(
    name="rights_complaint",
    label_zh="权利人投诉工单",
    label_en="rights complaint",
    states=frozenset({"received", "suspended", "withdrawn", "restored", "reprocessed"}),
    initial_state="received",
    final_states=frozenset({"withdrawn", "restored", "reprocessed"}),
    transitions=(
        step(
            "suspend",
            {"received"},
            "suspended",
            Party.RESPONSIBLE,
            ClockEffect.KEEP,
            "已暂停开放",
            "suspended",
        ),
        step(
            "withdraw",
            {"received", "suspended"},
            "withdrawn",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            "撤回数据",
            "withdrawn",
        ),
        step(
            "restore",
            {"received", "suspended"},
            "restored",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            "恢复开放",
            "restored",
        ),
        step(
            "reprocess",
            {"received", "suspended"},
            "reprocessed",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            "重新脱敏后开放",
            "reprocessed",
        ),
    ),
    # The regulations say "suspend at once where needed, then verify" without a period for the
    # verification; the provider's 5-working-day verification period of QUA-3 is used (documented).
    sla_working_days={"city": model.COMPLAINT_WORKING_DAYS, "district": model.COMPLAINT_WORKING_DAYS},
    responsible_role=Role.PROVIDER_STAFF.value,
    state_labels={
        "received": ("待核实", "received"),
        "suspended": ("已暂停开放，核实中", "suspended"),
        "withdrawn": ("已撤回", "withdrawn"),
        "restored": ("已恢复开放", "restored"),
        "reprocessed": ("已重新脱敏开放", "reprocessed"),
    },
)


def complaint_message(
    complaint: RightsComplaint, dataset_name: str, zh: str, en: str, body_zh: str, body_en: str
) -> Message:
    return Message(
        kind=f"complaint.{complaint.status}",
        title_zh=f"{zh}：{dataset_name}（{complaint.dataset_code}）",
        title_en=f"{en}: {dataset_name} ({complaint.dataset_code})",
        body_zh=body_zh,
        body_en=body_en,
        subject_type="rights_complaint",
        subject_id=complaint.id,
        link=f"/complaints/{complaint.id}",
    )


def _reopen(
    session: Session, actor: Principal, complaint: RightsComplaint, dataset: Dataset, reason: str
) -> None:
    """Back to the state before suspension (published: the publication gates apply)."""
    if dataset.state != DatasetState.SUSPENDED.value:
        return
    target = DatasetState(complaint.state_before_suspension or DatasetState.PUBLISHED.value)
    catalog.transition_dataset(session, actor=actor, dataset=dataset, target=target, reason=reason)


def _complaint_handle(session: Session, ctx: ActionContext) -> dict[str, Any]:
    complaint = session.scalar(
        select(RightsComplaint).where(RightsComplaint.id == ctx.order.subject_id).with_for_update()
    )
    if complaint is None:
        raise Conflict("the order has no complaint", message_zh="工单对应的投诉不存在", code="no_complaint")
    dataset = catalog.find_dataset(session, complaint.dataset_id)
    action = ctx.transition.action
    reason = f"rights complaint {complaint.id}: {ctx.note}".strip()
    recorded: dict[str, Any] = {"complaint": complaint.id, "dataset": dataset.code}
    complaint.revision += 1
    if action == "suspend":
        if dataset.state not in (DatasetState.PUBLISHED.value, DatasetState.STATIC.value):
            raise Conflict(
                f"only open data can be suspended (the dataset is {dataset.state})",
                message_zh="仅已开放的数据集可暂停开放",
                code="not_open",
            )
        complaint.state_before_suspension = dataset.state
        complaint.version_at_suspension = current_version(session, dataset.id)
        complaint.suspended_at = ctx.now
        catalog.transition_dataset(
            session, actor=ctx.actor, dataset=dataset, target=DatasetState.SUSPENDED, reason=reason
        )
        complaint.status = ComplaintStatus.SUSPENDED.value
        message = complaint_message(
            complaint,
            dataset.name,
            "数据已暂停开放",
            "Opening suspended",
            f"数据提供方已暂停开放该数据集并进行核实，将于{shanghai_day(ctx.order.due_at)}前作出处理。",
            f"The provider suspended the dataset and verifies the claim; a decision is due by "
            f"{shanghai_day(ctx.order.due_at)}.",
        )
        notify_user(session, complaint.complainant_id, message)
        notify_organization(session, None, Role.CENTER, message)
        return recorded | {
            "dataset_state": dataset.state,
            "state_before": complaint.state_before_suspension,
            "version_at_suspension": complaint.version_at_suspension,
        }
    decision = ComplaintDecision(action)
    if decision is ComplaintDecision.WITHDRAW:
        catalog.transition_dataset(
            session, actor=ctx.actor, dataset=dataset, target=DatasetState.WITHDRAWN, reason=reason
        )
        # Withdrawn for infringement: no version of it stays downloadable from the history either.
        head = current_version(session, dataset.id)
        if head is not None:
            recorded["retracted"] = retract_versions(
                session, actor=ctx.actor, dataset=dataset, up_to=head, reason=reason
            )
    elif decision is ComplaintDecision.RESTORE:
        _reopen(session, ctx.actor, complaint, dataset, reason)
    else:
        raw = ctx.details.get("version")
        if raw in (None, ""):
            raise ValidationFailed(
                "reprocessing names the new (desensitized) data version",
                message_zh="重新脱敏须填写新的数据版本号",
                code="version_required",
                details=[{"field": "version"}],
            )
        try:
            version = int(str(raw))
        except ValueError as exc:
            raise ValidationFailed("version must be a number", message_zh="版本号须为数字") from exc
        baseline = complaint.version_at_suspension or complaint.data_version
        try:
            model.check_newer_version(
                version=version, known_versions=dataset_versions(session, dataset.id), baseline=baseline
            )
        except RuleError as exc:
            raise rule_error(exc) from exc
        head = current_version(session, dataset.id)
        if head is None or head < version:
            raise Conflict(
                f"version {version} is not the current version",
                message_zh="该版本不是当前数据版本",
                code="not_current",
            )
        complaint.reprocessed_version = version
        recorded["version"] = version
        # The versions the complaint was about (up to the one served at suspension) are never served
        # again; the reprocessed one and later stay.
        recorded["retracted"] = retract_versions(
            session, actor=ctx.actor, dataset=dataset, up_to=version - 1, reason=reason
        )
        _reopen(session, ctx.actor, complaint, dataset, reason)
    complaint.status = model.DECISION_STATUS[decision].value
    complaint.decision = decision.value
    complaint.decision_note = ctx.note
    complaint.decided_at = ctx.now
    zh, en = model.COMPLAINT_STATUS_LABELS[ComplaintStatus(complaint.status)]
    message = complaint_message(
        complaint,
        dataset.name,
        f"投诉处理结果（{zh}）",
        f"Complaint result ({en})",
        f"经核实，处理结果：{zh}。说明：{ctx.note}",
        f"Verified; result: {en}. Note: {ctx.note}",
    )
    notify_user(session, complaint.complainant_id, message)
    notify_organization(session, None, Role.CENTER, message)
    return recorded | {"decision": decision.value, "dataset_state": dataset.state}


registry.register_type(RIGHTS_COMPLAINT, _complaint_handle)
