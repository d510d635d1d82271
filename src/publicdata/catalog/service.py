"""Catalog use-cases: create, edit, list, show, publish and retire open-list entries (CAT-1..5)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.catalog import gates, model
from publicdata.catalog.model import DatasetState, OpenClass
from publicdata.catalog.schemas import (
    DataItemIn,
    DatasetIn,
    DatasetOut,
    DatasetPatch,
    DatasetSummary,
)
from publicdata.catalog.tables import Dataset, DatasetField
from publicdata.catalog.views import area_name, dataset_out, dataset_summary
from publicdata.catalog.visibility import visibility_clause
from publicdata.db import utcnow
from publicdata.errors import Conflict, NotFound, ValidationFailed, field_problems
from publicdata.identity import permissions as rules
from publicdata.identity.model import PROVIDER_KINDS, OrgKind
from publicdata.identity.permissions import Principal
from publicdata.identity.service import find_organization, require
from publicdata.platform import Platform
from publicdata.search import index as search_index
from publicdata.search.service import SearchResult, search_datasets

SortKey = Literal["updated", "name", "published", "relevance", "newest", "downloads"]


# ---------------------------------------------------------------------------------------------
# Validation: every problem of an entry, at once (the reviewer's "all reasons" principle applies
# to machine checks too).
# ---------------------------------------------------------------------------------------------


def _classification(data: DatasetIn) -> model.Classification:
    return model.Classification(
        open_class=data.open_class,
        grading=model.Grading(data.grading.personal, data.grading.organizational, data.grading.object),
        conditions=tuple(model.Condition(c.kind, c.description) for c in data.conditions),
        not_open_reason=data.not_open_reason,
        opening_basis=data.opening_basis,
        note=data.classification_note,
    )


def _items(fields: list[DataItemIn]) -> list[model.DataItem]:
    return [
        model.DataItem(
            name=f.name,
            label=f.label,
            type=f.type,
            description=f.description,
            unit=f.unit,
            catalog_source=f.catalog_source,
            label_en=f.label_en,
        )
        for f in fields
    ]


def validate_entry(data: DatasetIn) -> None:
    entry = model.OpenListEntry(
        name=data.name,
        summary=data.summary,
        domain=data.domain,
        fields=_items(data.fields),
        formats=list(data.formats),
        update_frequency=data.update_frequency,
        classification=_classification(data),
        tags=data.tags,
    )
    problems = model.open_list_problems(entry)
    if data.time_start and data.time_end and data.time_start > data.time_end:
        problems.append(("time_end", "the time range ends before it starts"))
    if area_name(data.area_code) is None:
        problems.append(("area_code", f"'{data.area_code}' is not a known administrative division code"))
    if data.open_class is OpenClass.CONDITIONAL and not data.application_materials:
        problems.append(
            ("application_materials", "conditional data lists every material an application needs")
        )
    if problems:
        raise ValidationFailed(
            "the open-list entry is incomplete or inconsistent",
            message_zh="开放清单信息不完整或不符合要求",
            code="invalid_open_list_entry",
            details=field_problems(problems),
        )


def _apply(dataset: Dataset, data: DatasetIn) -> None:
    dataset.name = data.name.strip()
    dataset.name_en = data.name_en
    dataset.summary = data.summary.strip()
    dataset.domain = data.domain.value
    dataset.tags = [t.strip() for t in data.tags if t.strip()]
    dataset.keywords_en = data.keywords_en
    dataset.formats = [f.value for f in data.formats]
    dataset.update_frequency = data.update_frequency.value
    dataset.time_start = data.time_start
    dataset.time_end = data.time_end
    dataset.area_code = data.area_code
    dataset.relations = data.relations
    dataset.notes = data.notes
    dataset.open_class = data.open_class.value
    dataset.grade_personal = data.grading.personal
    dataset.grade_organizational = data.grading.organizational
    dataset.grade_object = data.grading.object
    dataset.opening_basis = data.opening_basis.value if data.opening_basis else None
    dataset.not_open_reason = data.not_open_reason.value if data.not_open_reason else None
    dataset.classification_note = data.classification_note
    dataset.conditions = [{"kind": c.kind.value, "description": c.description} for c in data.conditions]
    dataset.application_materials = [m.strip() for m in data.application_materials if m.strip()]
    # Reuse rows by name: the unit of work inserts before it deletes, so replacing a field with a new row
    # of the same name would briefly violate the (dataset, name) unique constraint.
    existing = {f.name: f for f in dataset.fields}
    fields: list[DatasetField] = []
    for i, item in enumerate(data.fields):
        values = item.model_dump(mode="json")
        row = existing.get(item.name) or DatasetField()
        for key, value in values.items():
            setattr(row, key, value)
        row.position = i
        fields.append(row)
    dataset.fields = fields


def as_input(dataset: Dataset) -> DatasetIn:
    """The stored entry as an input document (used to merge a patch and to hash a version)."""
    return DatasetIn.model_validate(
        {
            "code": dataset.code,
            "provider": dataset.provider_id,
            "name": dataset.name,
            "name_en": dataset.name_en,
            "summary": dataset.summary,
            "domain": dataset.domain,
            "tags": dataset.tags,
            "keywords_en": dataset.keywords_en,
            "fields": [{k: getattr(f, k) for k in DataItemIn.model_fields} for f in dataset.fields],
            "formats": dataset.formats,
            "update_frequency": dataset.update_frequency,
            "time_start": dataset.time_start,
            "time_end": dataset.time_end,
            "area_code": dataset.area_code,
            "relations": dataset.relations,
            "notes": dataset.notes,
            "open_class": dataset.open_class,
            "grading": {
                "personal": dataset.grade_personal,
                "organizational": dataset.grade_organizational,
                "object": dataset.grade_object,
            },
            "opening_basis": dataset.opening_basis,
            "not_open_reason": dataset.not_open_reason,
            "classification_note": dataset.classification_note,
            "conditions": dataset.conditions,
            "application_materials": dataset.application_materials,
        }
    )


def content_hash(dataset: Dataset) -> str:
    """SHA-256 of the entry's open-list content: recorded with each catalog version (CAT-12)."""
    document = as_input(dataset).model_dump(mode="json")
    document["state"] = dataset.state
    encoded = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _next_code(session: Session, provider_code: str) -> str:
    prefix = f"SH-{provider_code}"
    count = session.scalar(select(func.count(Dataset.id)).where(Dataset.code.like(f"{prefix}-%"))) or 0
    while True:
        count += 1
        code = model.slugify_code(prefix, count)
        if not session.scalar(select(Dataset.id).where(Dataset.code == code)):
            return code


# ---------------------------------------------------------------------------------------------
# Use-cases
# ---------------------------------------------------------------------------------------------


def find_dataset(session: Session, ref: str) -> Dataset:
    dataset = session.scalar(select(Dataset).where((Dataset.id == ref) | (Dataset.code == ref)))
    if dataset is None:
        raise NotFound(f"dataset '{ref}' not found", message_zh="数据集不存在")
    return dataset


def visible_to(actor: Principal, dataset: Dataset) -> bool:
    return DatasetState(dataset.state) in model.VISIBLE_STATES or bool(
        rules.can_view_unpublished(actor, dataset.provider_id)
    )


def create_dataset(platform: Platform, *, actor: Principal, data: DatasetIn) -> DatasetOut:
    with platform.db.transaction() as session:
        provider = find_organization(session, data.provider)
        require(rules.can_edit_provider_catalog(actor, provider.id))
        if OrgKind(provider.kind) not in PROVIDER_KINDS:
            raise ValidationFailed(
                "datasets belong to a provider (department, district or utility)",
                message_zh="数据集须归属于数据开放主体",
                details=[{"field": "provider", "message": f"'{provider.kind}' is not a provider"}],
            )
        validate_entry(data)
        code = data.code or _next_code(session, provider.code)
        if session.scalar(select(Dataset.id).where(Dataset.code == code)):
            raise Conflict(f"dataset code '{code}' exists", message_zh="数据集编号已存在", code="code_taken")
        dataset = Dataset(
            code=code, provider=provider, state=DatasetState.DRAFT.value, created_by=actor.user_id
        )
        _apply(dataset, data)
        session.add(dataset)
        session.flush()
        search_index.reindex_dataset(session, dataset)
        record_audit(
            session,
            actor=actor,
            action="dataset.create",
            subject_type="dataset",
            subject_id=dataset.id,
            organization_id=provider.id,
            details={"code": code, "name": dataset.name, "content_hash": content_hash(dataset)},
        )
        return dataset_out(dataset)


def update_dataset(platform: Platform, *, actor: Principal, ref: str, patch: DatasetPatch) -> DatasetOut:
    with platform.db.transaction() as session:
        dataset = find_dataset(session, ref)
        require(rules.can_edit_provider_catalog(actor, dataset.provider_id))
        if patch.revision != dataset.revision:
            raise Conflict(
                "the dataset was changed by someone else; reload and try again",
                message_zh="数据集已被他人修改，请刷新后重试",
                code="stale_revision",
                details={"current_revision": dataset.revision},
            )
        if DatasetState(dataset.state) is not DatasetState.DRAFT:
            # CAT-6: once listed, an entry changes only through an open-list change work order.
            raise Conflict(
                f"a dataset that is {dataset.state} cannot be edited directly; submit an open-list change",
                message_zh="仅草稿可直接编辑；已发布条目的变更请提交开放清单变更工单",
                code="review_required",
                details={"state": dataset.state},
            )
        changes = patch.model_dump(exclude_unset=True, exclude={"revision"})
        apply_entry_changes(session, actor=actor, dataset=dataset, changes=changes)
        return dataset_out(dataset)


def get_dataset(platform: Platform, *, actor: Principal, ref: str) -> DatasetOut:
    with platform.db.reading() as session:
        dataset = find_dataset(session, ref)
        if not visible_to(actor, dataset):
            raise NotFound(f"dataset '{ref}' not found", message_zh="数据集不存在")
        return dataset_out(dataset)


def _filtered(
    actor: Principal,
    *,
    domain: str | None,
    provider_id: str | None,
    open_class: str | None,
    state: str | None,
    fmt: str | None,
    frequency: str | None,
    area_code: str | None,
    tag: str | None,
) -> Select[Dataset]:
    query = select(Dataset)
    if state:
        query = query.where(Dataset.state == state)
    visible = visibility_clause(actor, Dataset.state, Dataset.provider_id)
    if visible is not None:
        query = query.where(visible)
    for column, value in (
        (Dataset.domain, domain),
        (Dataset.provider_id, provider_id),
        (Dataset.open_class, open_class),
        (Dataset.update_frequency, frequency),
        (Dataset.area_code, area_code),
    ):
        if value:
            query = query.where(column == value)
    # JSON arrays are matched as text: '"csv"' inside the encoded list (works on SQLite and PostgreSQL).
    if fmt:
        query = query.where(cast(Dataset.formats, String).like(f'%"{fmt}"%'))
    if tag:
        query = query.where(cast(Dataset.tags, String).like(f"%{json.dumps(tag, ensure_ascii=False)}%"))
    return query


def list_datasets(
    platform: Platform,
    *,
    actor: Principal,
    q: str | None = None,
    domain: str | None = None,
    provider: str | None = None,
    open_class: str | None = None,
    state: str | None = None,
    fmt: str | None = None,
    frequency: str | None = None,
    area_code: str | None = None,
    tag: str | None = None,
    sort: SortKey | None = None,
    offset: int = 0,
    limit: int = 20,
    facets: Sequence[str] = (),
) -> tuple[int, list[DatasetSummary]] | SearchResult:
    """Filtered listing; with a query, facets or a search sort it is the full-text search
    (search.service.search_datasets), whose result also unpacks as `(total, items)`."""
    if q or facets or sort in ("relevance", "newest", "downloads"):
        return search_datasets(
            platform,
            actor=actor,
            q=q,
            domain=domain,
            provider=provider,
            open_class=open_class,
            state=state,
            fmt=fmt,
            frequency=frequency,
            area_code=area_code,
            tag=tag,
            facets=facets,
            sort=sort,
            offset=offset,
            limit=limit,
        )
    sort = sort or "updated"
    with platform.db.reading() as session:
        provider_id = find_organization(session, provider).id if provider else None
        query = _filtered(
            actor,
            domain=domain,
            provider_id=provider_id,
            open_class=open_class,
            state=state,
            fmt=fmt,
            frequency=frequency,
            area_code=area_code,
            tag=tag,
        )
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        order: Any = {
            "updated": Dataset.updated_at.desc(),
            "name": Dataset.name,
            "published": Dataset.published_at.desc(),
        }[sort]
        rows = session.scalars(query.order_by(order, Dataset.code).offset(offset).limit(limit))
        return total, [dataset_summary(d) for d in rows]


def publish_dataset(platform: Platform, *, actor: Principal, ref: str, note: str = "") -> DatasetOut:
    """Direct publication by an administrator (the review work order calls `apply_publication`)."""
    require(rules.can_publish_dataset(actor))
    with platform.db.transaction() as session:
        dataset = find_dataset(session, ref)
        apply_publication(session, actor=actor, dataset=dataset, note=note)
        return dataset_out(dataset)


def apply_publication(
    session: Session, *, actor: Principal, dataset: Dataset, note: str = "", republish: bool = False
) -> None:
    """Publish (or, with `republish`, record a reviewed new version of a published entry)."""
    current = DatasetState(dataset.state)
    if not (republish and current is DatasetState.PUBLISHED):
        model.check_transition(current, DatasetState.PUBLISHED)
    validate_entry(as_input(dataset))
    gates.check_publication(session, dataset)
    dataset.state = DatasetState.PUBLISHED.value
    dataset.published_at = dataset.published_at or utcnow()
    dataset.updated_at = utcnow()
    session.flush()
    search_index.reindex_dataset(session, dataset)
    record_audit(
        session,
        actor=actor,
        action="dataset.publish",
        subject_type="dataset",
        subject_id=dataset.id,
        organization_id=dataset.provider_id,
        details={
            "code": dataset.code,
            "from": current.value,
            "content_hash": content_hash(dataset),
            "note": note,
        },
    )


def change_state(
    platform: Platform, *, actor: Principal, ref: str, target: DatasetState, reason: str
) -> DatasetOut:
    """Suspend, withdraw, mark static or reopen (admin here; the workflows add their own routes)."""
    require(rules.can_publish_dataset(actor))
    if not reason.strip():
        raise ValidationFailed("a reason is required", message_zh="须说明理由", details=[{"field": "reason"}])
    with platform.db.transaction() as session:
        dataset = find_dataset(session, ref)
        transition_dataset(session, actor=actor, dataset=dataset, target=target, reason=reason)
        return dataset_out(dataset)


# ---------------------------------------------------------------------------------------------
# Session-level steps for the review workflow (catalog/review.py), inside its transaction.
# ---------------------------------------------------------------------------------------------


def merged_entry(dataset: Dataset, changes: dict[str, Any]) -> DatasetIn:
    """The stored entry with `changes` (DatasetPatch fields) applied, validated as a whole."""
    merged = as_input(dataset).model_dump()
    merged.update(changes)
    data = DatasetIn.model_validate(merged)
    validate_entry(data)
    return data


def apply_entry_changes(
    session: Session, *, actor: Principal, dataset: Dataset, changes: dict[str, Any], note: str = ""
) -> None:
    """Apply reviewed changes to an entry (validated), bump its revision, audit with content hashes."""
    data = merged_entry(dataset, changes)
    before = content_hash(dataset)
    _apply(dataset, data)
    dataset.revision += 1
    dataset.updated_at = utcnow()
    session.flush()
    search_index.reindex_dataset(session, dataset)
    record_audit(
        session,
        actor=actor,
        action="dataset.update",
        subject_type="dataset",
        subject_id=dataset.id,
        organization_id=dataset.provider_id,
        details={
            "changed": sorted(changes),
            "before_hash": before,
            "content_hash": content_hash(dataset),
            "revision": dataset.revision,
            "note": note,
        },
    )


def transition_dataset(
    session: Session, *, actor: Principal, dataset: Dataset, target: DatasetState, reason: str
) -> None:
    """Move a dataset along its lifecycle inside the caller's transaction (audited)."""
    current = DatasetState(dataset.state)
    try:
        model.check_transition(current, target)
    except model.LifecycleError as exc:
        raise Conflict(str(exc), message_zh="数据集当前状态不允许此操作", code="invalid_transition") from exc
    if target is DatasetState.PUBLISHED:
        gates.check_publication(session, dataset)
    dataset.state = target.value
    dataset.updated_at = utcnow()
    session.flush()
    search_index.reindex_dataset(session, dataset)
    record_audit(
        session,
        actor=actor,
        action=f"dataset.state.{target.value}",
        subject_type="dataset",
        subject_id=dataset.id,
        organization_id=dataset.provider_id,
        details={
            "from": current.value,
            "to": target.value,
            "reason": reason,
            "content_hash": content_hash(dataset),
        },
    )
