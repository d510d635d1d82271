"""Shape catalog rows into API documents (used by the API, the portal's JSON twins and the CLI)."""

from __future__ import annotations

from datetime import date, datetime

from publicdata.catalog import model
from publicdata.catalog.schemas import (
    ConditionIn,
    DataItemOut,
    DatasetOut,
    DatasetSummary,
    GradingIn,
    ProviderRef,
    ResourceOut,
)
from publicdata.catalog.tables import Dataset
from publicdata.db import utcnow
from publicdata.identity.tables import Organization
from publicdata.reference.divisions import full_name
from publicdata.workdays.model import shanghai_date


def area_name(code: str) -> str | None:
    """The display name of an NBS division code ('310115' → 上海市浦东新区), None if unknown."""
    try:
        return full_name(code)
    except KeyError:
        return None


def provider_ref(org: Organization) -> ProviderRef:
    return ProviderRef(id=org.id, code=org.code, name=org.name, name_en=org.name_en, kind=org.kind)


def last_data_update(dataset: Dataset) -> datetime | None:
    """When the data last changed: publication or the newest resource, whichever is later."""
    moments = [m for m in [dataset.published_at, *(r.created_at for r in dataset.resources)] if m is not None]
    return max(moments) if moments else None


def update_status(dataset: Dataset, now: datetime | None = None) -> tuple[datetime | None, date | None, bool]:
    """(last data update, next update due date, overdue) for CAT-8; only published data is due."""
    last = last_data_update(dataset)
    if dataset.state != model.DatasetState.PUBLISHED.value or last is None:
        return last, None, False
    due = model.next_update_due(model.UpdateFrequency(dataset.update_frequency), shanghai_date(last))
    return last, due, model.update_overdue(due, shanghai_date(now or utcnow()))


def dataset_out(dataset: Dataset) -> DatasetOut:
    last_update, update_due, update_late = update_status(dataset)
    grading = model.Grading(dataset.grade_personal, dataset.grade_organizational, dataset.grade_object)
    return DatasetOut(
        id=dataset.id,
        code=dataset.code,
        provider=provider_ref(dataset.provider),
        name=dataset.name,
        name_en=dataset.name_en,
        summary=dataset.summary,
        domain=model.Domain(dataset.domain),
        domain_label=model.DOMAIN_LABELS[model.Domain(dataset.domain)][0],
        tags=list(dataset.tags),
        keywords_en=list(dataset.keywords_en),
        fields=[DataItemOut.model_validate(f) for f in dataset.fields],
        formats=[model.DataFormat(f) for f in dataset.formats],
        update_frequency=model.UpdateFrequency(dataset.update_frequency),
        time_start=dataset.time_start,
        time_end=dataset.time_end,
        area_code=dataset.area_code,
        area_name=area_name(dataset.area_code) or "",
        relations=dataset.relations,
        notes=dataset.notes,
        open_class=model.OpenClass(dataset.open_class),
        open_class_label=model.OPEN_CLASS_LABELS[model.OpenClass(dataset.open_class)][0],
        grading=GradingIn(
            personal=grading.personal, organizational=grading.organizational, object=grading.object
        ),
        graded_class=model.class_for_grading(grading),
        opening_basis=model.OpeningBasis(dataset.opening_basis) if dataset.opening_basis else None,
        not_open_reason=model.NotOpenReason(dataset.not_open_reason) if dataset.not_open_reason else None,
        classification_note=dataset.classification_note,
        conditions=[ConditionIn.model_validate(c) for c in dataset.conditions],
        application_materials=list(dataset.application_materials),
        state=model.DatasetState(dataset.state),
        revision=dataset.revision,
        created_at=dataset.created_at,
        updated_at=dataset.updated_at,
        published_at=dataset.published_at,
        resources=[ResourceOut.model_validate(r) for r in dataset.resources],
        last_data_update_at=last_update,
        update_due_date=update_due,
        update_overdue=update_late,
    )


def dataset_summary(dataset: Dataset) -> DatasetSummary:
    _last, update_due, update_late = update_status(dataset)
    return DatasetSummary(
        id=dataset.id,
        code=dataset.code,
        name=dataset.name,
        name_en=dataset.name_en,
        summary=dataset.summary,
        domain=model.Domain(dataset.domain),
        provider=provider_ref(dataset.provider),
        open_class=model.OpenClass(dataset.open_class),
        formats=[model.DataFormat(f) for f in dataset.formats],
        update_frequency=model.UpdateFrequency(dataset.update_frequency),
        state=model.DatasetState(dataset.state),
        tags=list(dataset.tags),
        updated_at=dataset.updated_at,
        published_at=dataset.published_at,
        update_due_date=update_due,
        update_overdue=update_late,
    )
