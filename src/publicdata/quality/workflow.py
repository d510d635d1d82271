"""The quality work order (QUA-1): a version scoring below `settings.quality_work_order_below` asks the
provider to correct its data. The center is the requester, the provider's staff are responsible.

- `fix` (provider staff, a note saying what was corrected is required) closes it as fixed;
- `close` (center staff) closes it without a fix (e.g. the findings are accepted as they are).
SLA: 10 working days in the city and district profiles. While one is open for a dataset, further bad
versions add no second order (their reports link to the open one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.catalog.tables import Dataset
from publicdata.db import utcnow
from publicdata.identity.model import OrgKind, Role
from publicdata.identity.permissions import SYSTEM
from publicdata.identity.tables import Organization
from publicdata.workdays.service import calendar_from_session
from publicdata.workorders import engine, registry
from publicdata.workorders.model import ClockEffect, Party, Transition, WorkOrderType
from publicdata.workorders.registry import ActionContext
from publicdata.workorders.tables import WorkOrder

QUALITY_FIX = WorkOrderType(
    name="quality_fix",
    label_zh="数据质量整改工单",
    label_en="data quality correction",
    states=frozenset({"open", "fixed", "closed"}),
    initial_state="open",
    final_states=frozenset({"fixed", "closed"}),
    transitions=(
        Transition(
            "fix",
            frozenset({"open"}),
            "fixed",
            Party.RESPONSIBLE,
            ClockEffect.STOP,
            note_required=True,
            label_zh="已整改",
            label_en="fixed",
        ),
        Transition(
            "close",
            frozenset({"open"}),
            "closed",
            Party.REQUESTER,
            ClockEffect.STOP,
            label_zh="关闭",
            label_en="closed",
        ),
    ),
    sla_working_days={"city": 10, "district": 10},
    responsible_role=Role.PROVIDER_STAFF.value,
    requester_role=Role.CENTER.value,
    max_extension_days=5,
    state_labels={"open": ("待整改", "open"), "fixed": ("已整改", "fixed"), "closed": ("已关闭", "closed")},
)


def open_order_for(session: Session, dataset_id: str) -> WorkOrder | None:
    return session.scalar(
        select(WorkOrder).where(
            WorkOrder.type == QUALITY_FIX.name,
            WorkOrder.subject_type == "dataset",
            WorkOrder.subject_id == dataset_id,
            WorkOrder.closed_at.is_(None),
        )
    )


def open_quality_order(
    session: Session, *, dataset: Dataset, report: Any, jurisdiction: str, now: datetime | None = None
) -> WorkOrder | None:
    """Open the correction order for a low-scoring version (inside the version's transaction), unless
    one is already open for the dataset (then that one is returned)."""
    existing = open_order_for(session, dataset.id)
    if existing is not None:
        return existing
    now = now or utcnow()
    center = session.scalar(
        select(Organization.id).where(Organization.kind == OrgKind.CENTER.value).order_by(Organization.code)
    )
    errors = [f for f in report.findings if f.get("severity") == "error"]
    summary = "；".join(
        f"{f['label']}{('（' + f['column'] + '）') if f.get('column') else ''}{f['count']}处"
        for f in errors[:5]
    )
    return engine.open_order(
        session,
        actor=SYSTEM,
        order_type=QUALITY_FIX,
        subject_type="dataset",
        subject_id=dataset.id,
        title=f"数据质量整改：{dataset.name}（{dataset.code}）第{report.version}版 {report.score}分",
        requester_id=None,
        requester_org_id=center,
        responsible_org_id=dataset.provider_id,
        jurisdiction=jurisdiction,
        calendar=calendar_from_session(session),
        now=now,
        payload={
            "dataset_id": dataset.id,
            "dataset_code": dataset.code,
            "version": report.version,
            "score": report.score,
            "breakdown": report.breakdown,
            "errors": [{k: f.get(k) for k in ("check", "column", "count")} for f in errors],
        },
        note=summary or f"质量评分 {report.score} 分",
    )


def _handle(session: Session, ctx: ActionContext) -> dict[str, Any]:
    from publicdata.quality.tables import QualityReport

    latest = session.scalar(
        select(QualityReport)
        .where(QualityReport.dataset_id == ctx.order.subject_id)
        .order_by(QualityReport.version.desc())
        .limit(1)
    )
    return {"latest_version": latest.version, "latest_score": latest.score} if latest else {}


registry.register_type(QUALITY_FIX, _handle)
