"""Timed duties of the open-list workflow, run by `publicdata tick` (CAT-7, CAT-8).

- CAT-8: every published dataset has a next-update-due date from its declared frequency
  (catalog/model.py `next_update_due`); once it has passed, the provider's staff are told — once per
  dataset and due date — and the dataset API shows `update_overdue`.
- CAT-7: lists, conditions and unopened data are evaluated at least yearly: one yearly review work
  order is opened per provider (with datasets) per Shanghai calendar year.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publicdata.catalog.model import DatasetState
from publicdata.catalog.tables import Dataset
from publicdata.catalog.views import update_status
from publicdata.identity.model import PROVIDER_KINDS, Role
from publicdata.identity.permissions import SYSTEM
from publicdata.identity.tables import Organization
from publicdata.notifications.service import Message, notify_organization
from publicdata.workdays.model import shanghai_date
from publicdata.workorders import engine, registry
from publicdata.workorders.model import ClockEffect, Party, Transition, WorkOrderType
from publicdata.workorders.registry import JobContext
from publicdata.workorders.tables import WorkOrder

YEARLY_REVIEW = registry.register_type(
    WorkOrderType(
        name="open_list_yearly_review",
        label_zh="开放清单年度评估",
        label_en="yearly open-list review",
        states=frozenset({"open", "completed"}),
        initial_state="open",
        final_states=frozenset({"completed"}),
        transitions=(
            Transition(
                "complete",
                frozenset({"open"}),
                "completed",
                Party.RESPONSIBLE,
                ClockEffect.STOP,
                note_required=True,
                label_zh="完成评估",
                label_en="review completed",
            ),
        ),
        # CAT-7 asks for a review at least yearly, without a period: 20 working days is the platform's.
        sla_working_days={"city": 20, "district": 20},
        responsible_role=Role.PROVIDER_STAFF.value,
        max_extension_days=10,
        state_labels={"open": ("待评估", "open"), "completed": ("已完成", "completed")},
    )
)


# ---------------------------------------------------------------------------------------------
# Timed duties run by `tick`: overdue data updates (CAT-8), yearly list reviews (CAT-7)
# ---------------------------------------------------------------------------------------------


def update_overdue_job(session: Session, context: JobContext) -> dict[str, int]:
    """Tell the provider's staff about published datasets whose update is late (once per due date)."""
    overdue = notified = 0
    rows = session.scalars(select(Dataset).where(Dataset.state == DatasetState.PUBLISHED.value))
    for dataset in rows:
        _last, due, late = update_status(dataset, context.now)
        if not late or due is None:
            continue
        overdue += 1
        notified += notify_organization(
            session,
            dataset.provider_id,
            Role.PROVIDER_STAFF,
            Message(
                kind="dataset.update_overdue",
                title_zh=f"数据更新已逾期：{dataset.name}",
                title_en=f"Data update overdue: {dataset.name_en or dataset.name}",
                body_zh=f"按声明的更新频率，下次更新应于{due.isoformat()}前完成。",
                body_en=f"By its declared frequency the next update was due on {due.isoformat()}.",
                subject_type="dataset",
                subject_id=dataset.id,
                link=f"/api/v1/datasets/{dataset.code}",
                dedupe_key=f"dataset.update_overdue:{dataset.id}:{due.isoformat()}",
            ),
        )
    return {"overdue": overdue, "notified": notified}


def yearly_review_job(session: Session, context: JobContext) -> dict[str, int]:
    """Open one yearly review order per provider with datasets, per Shanghai calendar year (CAT-7)."""
    year = shanghai_date(context.now).year
    providers = session.scalars(
        select(Organization)
        .where(Organization.kind.in_([k.value for k in PROVIDER_KINDS]))
        .where(
            select(func.count(Dataset.id)).where(Dataset.provider_id == Organization.id).scalar_subquery() > 0
        )
        .order_by(Organization.code)
        .with_for_update(of=Organization)  # concurrent ticks (several app servers) queue here
    )
    opened = 0
    for org in providers:
        subject = f"{org.id}:{year}"
        exists = session.scalar(
            select(WorkOrder.id).where(
                WorkOrder.type == YEARLY_REVIEW.name,
                WorkOrder.subject_type == "open_list",
                WorkOrder.subject_id == subject,
            )
        )
        if exists:
            continue
        engine.open_order(
            session,
            actor=SYSTEM,
            order_type=YEARLY_REVIEW,
            subject_type="open_list",
            subject_id=subject,
            title=f"{year}年度开放清单评估：{org.name}",
            requester_id=None,
            requester_org_id=None,
            responsible_org_id=org.id,
            jurisdiction=context.jurisdiction,
            calendar=context.calendar,
            now=context.now,
            payload={
                "year": year,
                "organization_id": org.id,
                "scope": ["open_list", "conditions", "not_open"],
            },
            note="评估开放清单、开放条件和未开放数据 / review the list, conditions and unopened data",
        )
        opened += 1
    return {"opened": opened}


registry.register_job("catalog.update_overdue", update_overdue_job)
registry.register_job("catalog.yearly_review", yearly_review_job)
