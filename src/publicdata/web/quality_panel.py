"""The dataset page's quality panel (QUA-1, CAT-8, ACC-7): score, breakdown by dimension, main findings,
update status, and the link to the sample dataset (on a conditional dataset) or to its source."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from publicdata.catalog.schemas import DatasetOut
from publicdata.catalog.service import find_dataset
from publicdata.identity.permissions import Principal
from publicdata.platform import Platform
from publicdata.quality.model import DIMENSION_LABELS, WEIGHTS, Dimension
from publicdata.quality.service import quality_view
from publicdata.web.panels import Panel, register_panel

router = APIRouter()
MAIN_FINDINGS = 5


def quality_panel(platform: Platform, actor: Principal, dataset: DatasetOut) -> Panel | None:
    with platform.db.reading() as session:
        view = quality_view(session, actor, find_dataset(session, dataset.id))
    latest = view["latest"]
    if latest is None and view["sample"] is None:
        return None
    data: dict[str, Any] = {
        "score": latest["score"] if latest else None,
        "version": latest["version"] if latest else None,
        "breakdown": [
            {
                "dimension": d.value,
                "label": DIMENSION_LABELS[d][0],
                "label_en": DIMENSION_LABELS[d][1],
                "score": latest["breakdown"].get(d.value) if latest else None,
                "weight": WEIGHTS[d],
            }
            for d in Dimension
        ]
        if latest
        else [],
        "findings": [
            {
                k: f[k]
                for k in ("check", "label", "label_en", "severity", "column", "count", "total", "examples")
            }
            for f in (latest["findings"][:MAIN_FINDINGS] if latest else [])
        ],
        "finding_count": len(latest["findings"]) if latest else 0,
        "update": view["update"],
        "history": view["history"][-10:],
        "sample": None,
        "api": f"/api/v1/datasets/{dataset.code}/quality",
    }
    sample = view["sample"]
    if sample is not None:
        data["sample"] = {
            "is_sample": sample["is_sample"],
            "code": sample["source_code"] if sample["is_sample"] else sample["sample_code"],
            "url": f"/datasets/{sample['source_code'] if sample['is_sample'] else sample['sample_code']}",
            "rows": sample["rows"],
            "strata": sample["strata"],
        }
    return Panel("quality", "panels/quality.html", data)


register_panel("quality", quality_panel)
