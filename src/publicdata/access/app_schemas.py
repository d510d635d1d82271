"""API documents of applications for conditional data (requests in, applications out)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from publicdata.workorders.schemas import WorkOrderSummary


class MaterialIn(BaseModel):
    key: str = Field(max_length=40)
    label_zh: str = Field(max_length=100)
    label_en: str = Field(default="", max_length=100)
    kind: str = Field(default="text", pattern="^(text|file)$")
    required: bool = True
    hint_zh: str = Field(default="", max_length=300)
    hint_en: str = Field(default="", max_length=300)


class RequirementIn(BaseModel):
    materials: list[MaterialIn] = Field(max_length=40)
    agreement_template: str = Field(default="", max_length=20000)
    min_level: str = Field(default="L1", pattern="^L[12]$")
    credit_check: bool = True
    expert_threshold_rows: int | None = Field(default=None, ge=1)


class RequirementOut(BaseModel):
    dataset_id: str
    dataset_code: str
    dataset_name: str
    conditions: list[dict[str, Any]]
    materials: list[dict[str, Any]]
    agreement_template: str
    min_level: str
    credit_check: bool
    expert_threshold_rows: int | None
    configured: bool  # False: the defaults derived from the open conditions


class ApplicationIn(BaseModel):
    dataset: str = Field(max_length=64, description="dataset id or code")
    purpose: str = Field(default="", max_length=5000)
    scenario: str = Field(default="", max_length=5000)
    fields: list[str] = Field(default_factory=list, max_length=500)
    period_start: date | None = None
    period_end: date | None = None
    security_measures: str = Field(default="", max_length=5000)
    expected_rows: int | None = None
    daily_quota: int | None = Field(default=None, ge=1)
    one_off_bulk: bool = False
    materials: dict[str, Any] = Field(default_factory=dict, description="key → text, or {'upload_id': id}")
    idempotency_key: str | None = Field(default=None, max_length=80)


class ProblemsIn(BaseModel):
    problems: list[dict[str, str]] = Field(min_length=1, max_length=100, description="[{item, reason}]")
    note: str = Field(default="", max_length=5000)


class ApproveIn(BaseModel):
    fields: list[str] | None = None
    period_start: date | None = None
    period_end: date | None = None
    daily_quota: int | None = Field(default=None, ge=1, description="served calls a day")
    daily_row_quota: int | None = Field(
        default=None, ge=1, description="rows delivered a day (records, SQL, downloads); none: unlimited"
    )
    note: str = Field(default="", max_length=5000)


class ReferIn(BaseModel):
    note: str = Field(min_length=1, max_length=5000)
    experts_needed: int = Field(default=1, ge=1, le=9)


class OpinionIn(BaseModel):
    recommendation: str = Field(pattern="^(approve|refuse|narrow)$")
    opinion: str = Field(min_length=1, max_length=10000)


class SignIn(BaseModel):
    accept: bool
    signer_name: str = Field(min_length=1, max_length=100)
    agreement_sha256: str | None = Field(default=None, max_length=64, description="hash of the text shown")


class AgreementOut(BaseModel):
    id: str | None
    text: str
    sha256: str
    signer_name: str | None
    term_start: date
    term_end: date
    signed_at: datetime | None
    grant_id: str | None = None


class ApplicationOut(BaseModel):
    id: str
    dataset_id: str
    dataset_code: str
    dataset_name: str
    provider_id: str
    provider_name: str
    applicant_id: str
    applicant_name: str
    state: str
    state_label: str
    state_label_en: str
    purpose: str
    scenario: str
    fields: list[str]
    period_start: date | None
    period_end: date | None
    security_measures: str
    expected_rows: int | None
    one_off_bulk: bool
    expert_review_required: bool  # above the dataset's row threshold, or one-off bulk (ACC-4)
    daily_quota: int | None
    materials: dict[str, Any]
    problems: list[dict[str, Any]]
    expert_opinions: list[dict[str, Any]]
    approved_scope: dict[str, Any] | None
    decision_note: str
    rounds: int
    check_order: WorkOrderSummary | None
    decision_order: WorkOrderSummary | None
    current_order: WorkOrderSummary | None  # the order whose clock runs now
    agreement: AgreementOut | None
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
