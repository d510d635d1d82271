"""What the portal shows from the data store: a preview of the first rows, a simple chart when the
columns allow, downloads in each export format, versions and schema for the back office.

Pages stay readable when a dataset has no ingested data (or the caller may not read it): every helper
returns None / [] then, and the page shows its catalog resources only.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from publicdata.datastore import export, ingest_service
from publicdata.datastore import service as datastore
from publicdata.errors import AppError
from publicdata.identity.permissions import Principal
from publicdata.platform import Platform

PREVIEW_ROWS = 10
CHART_BARS = 10
NUMERIC = {"integer", "decimal", "float", "number", "double", "bigint"}
LABEL_TYPES = {"text", "string", "varchar", "date"}


def preview(platform: Platform, *, actor: Principal, code: str) -> dict[str, Any] | None:
    """The first rows of the current data version, or None."""
    try:
        result = datastore.query_records(
            platform, actor=actor, ref=code, params=[("limit", str(PREVIEW_ROWS)), ("include_total", "true")]
        )
    except AppError:
        return None
    return {
        "version": result.get("version"),
        "fields": result.get("fields", []),
        "records": result.get("records", []),
        "total": result.get("total"),
        "chart": chart(result.get("fields", []), result.get("records", [])),
    }


def chart(fields: list[dict[str, Any]], records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A bar chart of the first numeric column against the first text column, when both exist."""
    label = next((f["name"] for f in fields if str(f.get("type")) in LABEL_TYPES), None)
    value = next((f["name"] for f in fields if str(f.get("type")) in NUMERIC), None)
    if label is None or value is None:
        return None
    points: list[tuple[str, float]] = []
    for row in records[:CHART_BARS]:
        number = row.get(value)
        if isinstance(number, int | float) and not isinstance(number, bool):
            points.append((str(row.get(label)), float(number)))
    if not points:
        return None
    top = max(abs(v) for _, v in points) or 1.0
    bars = [{"label": k, "value": v, "percent": round(abs(v) / top * 100, 1)} for k, v in points]
    return {"label_field": label, "value_field": value, "bars": bars}


def downloads(code: str) -> list[dict[str, str]]:
    return [{"format": fmt, "url": f"/api/v1/datasets/{code}/download.{fmt}"} for fmt in export.FORMATS]


def versions(platform: Platform, *, actor: Principal, code: str) -> list[dict[str, Any]]:
    try:
        return datastore.list_versions(platform, actor=actor, ref=code)
    except AppError:
        return []


def ingest(
    platform: Platform, *, actor: Principal, code: str, filename: str, stream: BinaryIO, encoding: str | None
) -> dict[str, Any]:
    """Load a file into the data store and wait for the ingest (the job's state and error come back)."""
    return ingest_service.upload(
        platform, actor=actor, ref=code, filename=filename, stream=stream, encoding=encoding, wait=True
    )
