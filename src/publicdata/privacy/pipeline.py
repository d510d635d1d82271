"""Registers the privacy steps of version making: the desensitization transform (the dataset's rules,
applied while the version is written) and the personal-data scan of the file that will be served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from publicdata.catalog.tables import Dataset
from publicdata.datastore.engine import write_version_parquet
from publicdata.datastore.ingest import describe_parquet
from publicdata.datastore.pipeline import VersionDraft, register_analyzer, register_transform
from publicdata.datastore.tables import DataVersion
from publicdata.platform import Platform
from publicdata.privacy.desensitize import desensitize_select, pseudonym_key
from publicdata.privacy.model import parse_rules
from publicdata.privacy.scan import scan_parquet
from publicdata.privacy.tables import PrivacyRuleSet, PrivacyScan

APPLIED = "privacy.applied_rules"


def desensitize(platform: Platform, draft: VersionDraft) -> Path | None:
    """Transform: apply the dataset's rules; the returned file is served, the raw one never is."""
    with platform.db.reading() as session:
        stored = session.get(PrivacyRuleSet, draft.dataset_id)
        rules = parse_rules(stored.rules) if stored is not None else []
    if not rules:
        return None
    columns = describe_parquet(draft.con, draft.parquet)
    select_sql, applied = desensitize_select(draft.parquet, columns, rules, pseudonym_key(platform.settings))
    draft.results[APPLIED] = [r.as_dict() for r in applied]
    if not applied:
        return None
    out = draft.temp_path(".masked.parquet")
    write_version_parquet(draft.con, select_sql, out)
    return out


def analyze(platform: Platform, draft: VersionDraft) -> dict[str, Any]:
    with platform.db.reading() as session:
        dataset = session.get(Dataset, draft.dataset_id)
        labels = {f.name: [f.label, f.label_en] for f in dataset.fields} if dataset is not None else {}
    report = scan_parquet(draft.con, draft.parquet, draft.columns, labels)
    report["applied_rules"] = draft.results.get(APPLIED, [])
    if report["blocking"]:
        # Never served until the provider desensitizes (rules + reprocess) or files an override.
        draft.withhold.append(
            "unprotected personal data in " + ", ".join(b["column"] for b in report["blocking"])
        )
    return report


def record(session: Session, dataset: Dataset, version: DataVersion, report: dict[str, Any]) -> None:
    session.add(
        PrivacyScan(
            dataset_id=dataset.id,
            version_id=version.id,
            version=version.version,
            blocking=report["blocking"],
            applied_rules=report.get("applied_rules", []),
            report=report,
        )
    )


register_transform("privacy.desensitize", desensitize)
register_analyzer("privacy", analyze, record)
