"""Registers the privacy publication gate: a dataset whose current version has unprotected personal
data (a personal detector's hits in a column of the served file at or above model.GATE_MIN_RATIO) is
not published in any open class, unless its provider filed a written override for that version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.catalog.gates import GateProblem, register_gate
from publicdata.catalog.tables import Dataset
from publicdata.datastore.tables import DatasetHead, DataVersion
from publicdata.privacy.tables import PrivacyOverride, PrivacyScan


def current_scan(session: Session, dataset_id: str) -> tuple[DataVersion | None, PrivacyScan | None]:
    head = session.get(DatasetHead, dataset_id)
    if head is None:
        return None, None
    version = session.scalar(
        select(DataVersion).where(DataVersion.dataset_id == dataset_id, DataVersion.version == head.version)
    )
    if version is None:
        return None, None
    scan = session.scalar(select(PrivacyScan).where(PrivacyScan.version_id == version.id))
    return version, scan


def override_for(session: Session, version_id: str) -> PrivacyOverride | None:
    return session.scalar(
        select(PrivacyOverride)
        .where(PrivacyOverride.version_id == version_id)
        .order_by(PrivacyOverride.created_at.desc())
        .limit(1)
    )


def describe(blocking: list[dict[str, Any]]) -> tuple[str, str]:
    en = ", ".join(f"{b['column']} ({'/'.join(b['detectors'])})" for b in blocking)
    zh = "、".join(f"“{b['column']}”（{'/'.join(b['detectors'])}）" for b in blocking)
    return en, zh


def privacy_problems(session: Session, dataset: Dataset) -> list[GateProblem]:
    version, scan = current_scan(session, dataset.id)
    if version is None or scan is None or not scan.blocking:
        return []
    if override_for(session, version.id) is not None:
        return []
    en, zh = describe(scan.blocking)
    return [
        GateProblem(
            gate="privacy",
            code="unprotected_personal_data",
            message_en=f"version {version.version} has unprotected personal data in {en}; set "
            "desensitization rules and reprocess, or file a justified override",
            message_zh=f"第{version.version}版数据的字段{zh}含未脱敏的个人信息，请设置脱敏规则并重新处理，"
            "或提交书面说明",
            details={"version": version.version, "columns": scan.blocking},
        )
    ]


register_gate("privacy", privacy_problems)
