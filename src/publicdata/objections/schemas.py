"""API documents of objections and complaints, and how rows become them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from publicdata.objections import model
from publicdata.objections.model import ComplaintStatus, ObjectionKind, ObjectionStatus, RightKind


class ObjectionIn(BaseModel):
    kind: ObjectionKind
    description: str = Field(min_length=1, max_length=5000)
    fields: list[str] = Field(default_factory=list, max_length=100, description="data item names concerned")
    rows: str = Field(default="", max_length=2000, description="which rows (ids, ranges, a filter)")
    attachments: list[str] = Field(default_factory=list, max_length=20, description="upload ids (evidence)")


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=5000)


class ObjectionDecisionIn(BaseModel):
    outcome: model.Outcome
    result: str = Field(min_length=1, max_length=5000, description="the result told to the objector")
    version: int | None = Field(default=None, ge=1, description="corrected data version, if already made")
    change_order_id: str | None = Field(default=None, max_length=32)


class CorrectionIn(BaseModel):
    version: int | None = Field(default=None, ge=1)
    change_order_id: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=2000)


class ComplaintIn(BaseModel):
    right: RightKind
    description: str = Field(min_length=1, max_length=5000)
    fields: list[str] = Field(default_factory=list, max_length=100)
    attachments: list[str] = Field(default_factory=list, max_length=20, description="upload ids (evidence)")


class SuspendIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ComplaintDecisionIn(BaseModel):
    decision: model.ComplaintDecision
    note: str = Field(min_length=1, max_length=5000)
    version: int | None = Field(default=None, ge=1, description="reprocess: the new desensitized version")


class ClockOut(BaseModel):
    """A deadline as seen now (working days)."""

    order_id: str | None = None
    due_at: datetime
    due_date: date
    remaining_working_days: int
    overdue: bool
    overdue_working_days: int
    closed: bool = False


class PublicObjectionOut(BaseModel):
    """What anyone sees of an objection on a dataset: that it is pending, its kind, and its outcome."""

    id: str
    kind: ObjectionKind
    kind_label: str
    kind_label_en: str
    status: ObjectionStatus
    status_label: str
    status_label_en: str
    pending: bool
    received_at: datetime
    marked_at: datetime | None
    field_hints: list[str]
    outcome: str | None
    decided_at: datetime | None
    correction_version: int | None


class ObjectionOut(PublicObjectionOut):
    dataset_id: str
    dataset_code: str
    dataset_name: str
    provider_id: str
    objector_id: str
    objector: str
    description: str
    row_hints: str
    evidence: list[dict[str, Any]]
    data_version: int | None
    mark_due_at: datetime
    mark_due_date: date
    mark_clock: ClockOut | None  # while not marked
    mark_late: bool  # not marked by its deadline (or marked after it)
    mark_overdue_at: datetime | None
    decision_clock: ClockOut | None  # the open order's clock: center (2 days) or provider (5 days)
    review_order_id: str | None
    verification_order_id: str | None
    forwarded_at: datetime | None
    decided_by: str | None
    result: str
    correction_order_id: str | None
    corrected_at: datetime | None
    my_actions: list[str]
    revision: int


class DatasetObjectionsOut(BaseModel):
    dataset: str
    objection_pending: bool
    pending_count: int
    items: list[PublicObjectionOut | ObjectionOut]


class ComplaintOut(BaseModel):
    id: str
    dataset_id: str
    dataset_code: str
    dataset_name: str
    dataset_state: str
    provider_id: str
    complainant_id: str
    complainant: str
    right: RightKind
    right_label: str
    right_label_en: str
    description: str
    field_hints: list[str]
    evidence: list[dict[str, Any]]
    status: ComplaintStatus
    status_label: str
    status_label_en: str
    received_at: datetime
    data_version: int | None
    suspended_at: datetime | None
    state_before_suspension: str | None
    version_at_suspension: int | None
    decision: str | None
    decision_note: str
    reprocessed_version: int | None
    decided_at: datetime | None
    order_id: str | None
    clock: ClockOut | None
    my_actions: list[str]
    revision: int


class AccessorOut(BaseModel):
    user_id: str | None
    username: str
    kind: Literal["user", "anonymous"]
    user_kind: str | None  # person | company | staff ...
    ip_hash: str | None
    first_access: datetime
    last_access: datetime
    total: int
    counts: dict[str, int]
    versions: list[int]
    via_token: bool


class LeakTraceOut(BaseModel):
    complaint_id: str
    dataset_code: str
    since: datetime | None
    until: datetime
    users: int
    anonymous_callers: int
    accesses: int
    items: list[AccessorOut]


def kind_labels(kind: ObjectionKind) -> tuple[str, str]:
    return model.OBJECTION_KIND_LABELS[kind]
