"""Registers the quality check as a version-pipeline analyzer + recorder: every new version (upload or
derivation) gets its report in the same transaction that commits it; a score below
`settings.quality_work_order_below` opens a quality work order to the provider (one at a time)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publicdata.catalog.model import DataItem, FieldType, UpdateFrequency
from publicdata.catalog.tables import Dataset
from publicdata.datastore import pipeline
from publicdata.datastore.tables import DataVersion
from publicdata.db import utcnow
from publicdata.platform import Platform
from publicdata.quality import workflow
from publicdata.quality.checks import CheckInput, run_checks
from publicdata.quality.model import parse_constraints
from publicdata.quality.tables import QualityConfig, QualityReport
from publicdata.workdays.model import shanghai_date

log = logging.getLogger(__name__)
STEP = "quality"


def data_items(dataset: Dataset) -> list[DataItem]:
    return [
        DataItem(
            name=f.name,
            label=f.label,
            type=FieldType(f.type),
            description=f.description,
            unit=f.unit,
            catalog_source=f.catalog_source,
            label_en=f.label_en,
        )
        for f in dataset.fields
    ]


def check_input(session: Session, dataset: Dataset) -> CheckInput:
    """What the checks need from the catalog and the configuration, read in `session`."""
    config = session.get(QualityConfig, dataset.id)
    constraints, _problems = parse_constraints(config.constraints if config else {})
    previous = session.scalar(
        select(func.max(DataVersion.created_at)).where(DataVersion.dataset_id == dataset.id)
    )
    return CheckInput(
        items=data_items(dataset),
        key_columns=list(config.key_columns) if config and config.key_columns else None,
        constraints=constraints,
        frequency=UpdateFrequency(dataset.update_frequency),
        previous_update=shanghai_date(previous) if previous is not None else None,
        this_update=shanghai_date(utcnow()),
    )


def analyze(platform: Platform, draft: pipeline.VersionDraft) -> dict[str, Any] | None:
    try:
        with platform.db.reading() as session:
            dataset = session.get(Dataset, draft.dataset_id)
            assert dataset is not None
            inp = check_input(session, dataset)
        report = run_checks(draft.con, draft.parquet, inp)
    except Exception:  # a failing check must never stop a version from being made
        log.exception("quality check failed for dataset %s", draft.dataset_id)
        return None
    return {
        "report": report.as_dict(),
        "threshold": platform.settings.quality_work_order_below,
        "jurisdiction": platform.settings.jurisdiction.value,
    }


def record(session: Session, dataset: Dataset, version: DataVersion, payload: dict[str, Any] | None) -> None:
    if payload is None:
        return
    report = payload["report"]
    row = QualityReport(
        dataset_id=dataset.id,
        version=version.version,
        score=int(report["score"]),
        breakdown=report["breakdown"],
        findings=report["findings"],
        counts=report["counts"],
        details={
            "columns_checked": report["columns_checked"],
            "update": report["update"],
            "weights": report["weights"],
            "column_count": report["column_count"],
        },
        row_count=int(report["row_count"]),
    )
    session.add(row)
    session.flush()
    if row.score < int(payload["threshold"]):
        order = workflow.open_quality_order(
            session, dataset=dataset, report=row, jurisdiction=str(payload["jurisdiction"])
        )
        if order is not None:
            row.work_order_id = order.id


pipeline.register_analyzer(STEP, analyze, record)
