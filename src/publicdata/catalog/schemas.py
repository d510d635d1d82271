"""Request and response shapes for the catalog API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from publicdata.catalog.model import (
    ConditionKind,
    DataFormat,
    DatasetState,
    Domain,
    FieldType,
    NotOpenReason,
    OpenClass,
    OpeningBasis,
    UpdateFrequency,
)


class DataItemIn(BaseModel):
    name: str = Field(max_length=63)
    label: str = Field(max_length=100)
    label_en: str = Field(default="", max_length=100)
    type: FieldType
    unit: str = Field(default="", max_length=30)
    description: str = Field(max_length=2000)
    catalog_source: str = Field(default="", max_length=200)


class DataItemOut(DataItemIn):
    model_config = ConfigDict(from_attributes=True)


class ConditionIn(BaseModel):
    kind: ConditionKind
    description: str = Field(max_length=2000)


class GradingIn(BaseModel):
    personal: int = Field(default=1, ge=1, le=4)
    organizational: int = Field(default=1, ge=1, le=4)
    object: int = Field(default=1, ge=1, le=4)


class DatasetIn(BaseModel):
    """Every open-list field of CAT-2 (002 §9)."""

    code: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    provider: str = Field(description="provider organization id or code")
    name: str = Field(min_length=2, max_length=200)
    name_en: str = Field(default="", max_length=200)
    summary: str = Field(max_length=5000)
    domain: Domain
    tags: list[str] = Field(default_factory=list, max_length=30)
    keywords_en: list[str] = Field(default_factory=list, max_length=30)
    fields: list[DataItemIn] = Field(max_length=500)
    formats: list[DataFormat] = Field(min_length=1)
    update_frequency: UpdateFrequency
    time_start: date | None = None
    time_end: date | None = None
    area_code: str = Field(default="310000", pattern=r"^\d{6}$")
    relations: str = ""
    notes: str = ""
    open_class: OpenClass
    grading: GradingIn = Field(default_factory=GradingIn)
    opening_basis: OpeningBasis | None = None
    not_open_reason: NotOpenReason | None = None
    classification_note: str = ""
    conditions: list[ConditionIn] = Field(default_factory=list)
    application_materials: list[str] = Field(default_factory=list)


class DatasetPatch(BaseModel):
    """A partial update; `revision` must match the stored one (protects against lost updates)."""

    revision: int
    name: str | None = Field(default=None, min_length=2, max_length=200)
    name_en: str | None = None
    summary: str | None = None
    domain: Domain | None = None
    tags: list[str] | None = None
    keywords_en: list[str] | None = None
    fields: list[DataItemIn] | None = None
    formats: list[DataFormat] | None = None
    update_frequency: UpdateFrequency | None = None
    time_start: date | None = None
    time_end: date | None = None
    area_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    relations: str | None = None
    notes: str | None = None
    open_class: OpenClass | None = None
    grading: GradingIn | None = None
    opening_basis: OpeningBasis | None = None
    not_open_reason: NotOpenReason | None = None
    classification_note: str | None = None
    conditions: list[ConditionIn] | None = None
    application_materials: list[str] | None = None


class ProviderRef(BaseModel):
    id: str
    code: str
    name: str
    name_en: str
    kind: str


class ResourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    name: str
    description: str
    format: str
    url: str | None
    size_bytes: int | None
    sha256: str | None
    media_type: str | None
    created_at: datetime


class ApiResourceIn(BaseModel):
    name: str = Field(min_length=2, max_length=200)
    description: str = ""
    url: HttpUrl
    format: DataFormat = DataFormat.API


class DatasetOut(BaseModel):
    id: str
    code: str
    provider: ProviderRef
    name: str
    name_en: str
    summary: str
    domain: Domain
    domain_label: str
    tags: list[str]
    keywords_en: list[str]
    fields: list[DataItemOut]
    formats: list[DataFormat]
    update_frequency: UpdateFrequency
    time_start: date | None
    time_end: date | None
    area_code: str
    area_name: str
    relations: str
    notes: str
    open_class: OpenClass
    open_class_label: str
    grading: GradingIn
    graded_class: OpenClass
    opening_basis: OpeningBasis | None
    not_open_reason: NotOpenReason | None
    classification_note: str
    conditions: list[ConditionIn]
    application_materials: list[str]
    state: DatasetState
    revision: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    resources: list[ResourceOut]
    # CAT-8: when the next data update is due (from the declared frequency) and whether it is late.
    last_data_update_at: datetime | None = None
    update_due_date: date | None = None
    update_overdue: bool = False


class DatasetSummary(BaseModel):
    id: str
    code: str
    name: str
    name_en: str
    summary: str
    domain: Domain
    provider: ProviderRef
    open_class: OpenClass
    formats: list[DataFormat]
    update_frequency: UpdateFrequency
    state: DatasetState
    tags: list[str]
    updated_at: datetime
    published_at: datetime | None
    update_due_date: date | None = None
    update_overdue: bool = False


class TaxonomyOut(BaseModel):
    domains: list[dict[str, object]]
    open_classes: list[dict[str, str]]
    update_frequencies: list[dict[str, str]]
    formats: list[str]
    field_types: list[str]
    condition_kinds: list[dict[str, str]]
    not_open_reasons: list[dict[str, str]]
    grading_levels: dict[str, dict[int, str]]
    states: list[str]
