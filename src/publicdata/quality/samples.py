"""Sample datasets (ACC-7): a stratified sample of a conditional dataset, opened unconditionally.

`make_sample` creates (or refreshes) a linked catalog dataset "<name>（样本）" of the same provider with
the same data items, open class unconditional and the lowest grading, and makes its data version with
`derive_version` from a DuckDB SELECT over the source's current (served, i.e. already desensitized)
version: proportional allocation per stratum (largest remainder), rows chosen per stratum by
`hash(row number, seed)` — deterministic for a seed. The version pipeline runs as for any upload, so
the privacy module's desensitization transforms apply again and the sample gets its own quality report.

Publication: when the caller is the center or an administrator the sample is published in the same
use-case (`catalog.service.apply_publication`, so every publication gate — the privacy gate included —
applies; a refusal leaves it in draft and is returned). Samples drawn by provider staff stay in draft
and go through the ordinary open-list review. A refresh of a published sample is simply its new version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import select

from publicdata.audit.service import record_audit
from publicdata.catalog import gates
from publicdata.catalog import service as catalog
from publicdata.catalog.model import DatasetState, OpenClass
from publicdata.catalog.schemas import DatasetIn
from publicdata.catalog.tables import Dataset
from publicdata.datastore.engine import work_cursor
from publicdata.datastore.ingest import derive_version
from publicdata.datastore.model import ColumnType, column_type_of, quote_ident, quote_literal
from publicdata.datastore.tables import DatasetHead, DataVersion
from publicdata.db import utcnow
from publicdata.errors import Conflict, ValidationFailed
from publicdata.identity import permissions as identity_rules
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.identity.service import require
from publicdata.platform import Platform
from publicdata.quality import model, rules
from publicdata.quality.tables import SampleLink

DEFAULT_SEED = 20260101
MAX_SAMPLE_ROWS = 1_000_000
TOP = 5


def _version_path(platform: Platform, version: DataVersion) -> Path:
    return platform.settings.resolved_data_dir / version.path


def _strata_key(strata: list[str]) -> str:
    return ", ".join(f"CAST({quote_ident(s)} AS VARCHAR)" for s in strata)


def _sample_document(source: Dataset, rows: int, strata: list[str], code: str) -> DatasetIn:
    doc = catalog.as_input(source).model_dump(mode="json")
    how = f"按{'、'.join(strata)}分层" if strata else "简单随机"
    suffix = "（样本）"
    doc |= {
        "code": code,
        "name": source.name[: 200 - len(suffix)] + suffix,
        "name_en": (source.name_en + " (sample)") if source.name_en else "",
        "summary": f"本数据集是有条件开放数据集「{source.name}」（{source.code}）的抽样样本：{how}按比例抽取"
        f"约{rows}行，已按规则脱敏，无需申请即可使用，用于了解数据结构和分布特征。" + doc["summary"],
        "relations": f"样本来源：{source.code}。" + (doc.get("relations") or ""),
        "open_class": OpenClass.UNCONDITIONAL.value,
        "grading": {"personal": 1, "organizational": 1, "object": 1},
        "conditions": [],
        "application_materials": [],
        "opening_basis": None,
        "not_open_reason": None,
        "classification_note": f"抽样样本（来源 {source.code}），经脱敏处理，不含可识别个人或敏感信息。",
    }
    return DatasetIn.model_validate(doc)


def _sample_code(session: Any, source: Dataset) -> str:
    base = (source.code + "-S")[:40]
    code, n = base, 1
    while session.scalar(select(Dataset.id).where(Dataset.code == code)):
        n += 1
        code = f"{base[:37]}{n:02d}"
    return code


def sample_select(
    parquet: Path, strata: list[str], quotas: dict[tuple[str | None, ...], int], seed: int
) -> str:
    """The SELECT of the sample rows (original order), given the rows to take per stratum."""
    src = f"read_parquet({quote_literal(str(parquet))}, file_row_number = true)"
    order = f"hash(file_row_number, {int(seed)})"
    if not strata:
        n = sum(quotas.values())
        return (
            f"SELECT * EXCLUDE (file_row_number) FROM (SELECT * FROM {src} ORDER BY {order} LIMIT {n}) "
            "ORDER BY file_row_number"
        )
    names = [f"__s{i}" for i in range(len(strata))]
    values = ", ".join(
        "(" + ", ".join("NULL" if v is None else quote_literal(v) for v in key) + f", {n})"
        for key, n in quotas.items()
        if n > 0
    )
    if not values:
        values = "(" + ", ".join("NULL" for _ in strata) + ", 0)"
    keys = ", ".join(f"CAST({quote_ident(s)} AS VARCHAR) AS {n}" for s, n in zip(strata, names, strict=True))
    join = " AND ".join(f"t.{n} IS NOT DISTINCT FROM q.{n}" for n in names)
    return (
        f"SELECT t.* EXCLUDE (file_row_number, {', '.join(names)}, __rn) FROM ("
        f"SELECT *, {keys}, row_number() OVER (PARTITION BY {_strata_key(strata)} ORDER BY {order}) AS __rn "
        f"FROM {src}) t JOIN (VALUES {values}) q({', '.join(names)}, __quota) ON {join} "
        "WHERE t.__rn <= q.__quota ORDER BY t.file_row_number"
    )


def _strata_counts(
    con: duckdb.DuckDBPyConnection, parquet: Path, strata: list[str]
) -> dict[tuple[str | None, ...], int]:
    src = f"read_parquet({quote_literal(str(parquet))})"
    if not strata:
        row = con.execute(f"SELECT count(*) FROM {src}").fetchone()
        return {(): int(row[0]) if row else 0}
    rows = con.execute(f"SELECT {_strata_key(strata)}, count(*) FROM {src} GROUP BY ALL").fetchall()
    return {tuple(None if v is None else str(v) for v in r[:-1]): int(r[-1]) for r in rows}


def compare(
    con: duckdb.DuckDBPyConnection, full: Path, sample: Path, columns: list[dict[str, Any]], strata: list[str]
) -> dict[str, Any]:
    """Per-column statistics of the full data and the sample side by side (ACC-7)."""
    out: dict[str, Any] = {"columns": {}, "strata": None}
    stats: dict[str, dict[str, Any]] = {}
    for label, path in (("full", full), ("sample", sample)):
        src = f"read_parquet({quote_literal(str(path))})"
        described = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        parts = ["count(*)"]
        plan: list[tuple[str, str]] = []
        for c in columns:
            name = str(c["name"])
            if name not in described:
                continue
            kind = column_type_of(described[name])
            ident = quote_ident(name)
            if kind in (ColumnType.INTEGER, ColumnType.DECIMAL):
                parts += [f"avg({ident})", f"min({ident})", f"max({ident})", f"count({ident})"]
                plan.append((name, "numeric"))
            else:
                parts += [f"approx_top_k(CAST({ident} AS VARCHAR), {TOP})", f"count({ident})"]
                plan.append((name, "text"))
        row = con.execute(f"SELECT {', '.join(parts)} FROM {src}").fetchone()
        assert row is not None
        total = int(row[0])
        values = list(row[1:])
        side: dict[str, Any] = {"rows": total}
        for name, how in plan:
            if how == "numeric":
                mean, low, high, count = values[:4]
                values = values[4:]
                side[name] = {
                    "kind": "numeric",
                    "mean": round(float(mean), 6) if mean is not None else None,
                    "min": float(low) if low is not None else None,
                    "max": float(high) if high is not None else None,
                    "non_null": int(count),
                }
            else:
                top, count = values[:2]
                values = values[2:]
                side[name] = {
                    "kind": "text",
                    "top_values": [v for v in (top or []) if v is not None],
                    "non_null": int(count),
                }
        stats[label] = side
    for c in columns:
        name = str(c["name"])
        if name in stats["full"] and name in stats["sample"]:
            out["columns"][name] = {"full": stats["full"][name], "sample": stats["sample"][name]}
    out["rows"] = {"full": stats["full"]["rows"], "sample": stats["sample"]["rows"]}
    if strata:
        full_counts = {
            "|".join("" if v is None else v for v in k): n
            for k, n in _strata_counts(con, full, strata).items()
        }
        sample_counts = {
            "|".join("" if v is None else v for v in k): n
            for k, n in _strata_counts(con, sample, strata).items()
        }
        total_full = sum(full_counts.values()) or 1
        total_sample = sum(sample_counts.values()) or 1
        out["strata"] = {
            "columns": strata,
            "max_share_difference": round(model.share_difference(full_counts, sample_counts), 6),
            "shares": {
                k: {
                    "full": round(full_counts.get(k, 0) / total_full, 6),
                    "sample": round(sample_counts.get(k, 0) / total_sample, 6),
                    "full_rows": full_counts.get(k, 0),
                    "sample_rows": sample_counts.get(k, 0),
                }
                for k in sorted(set(full_counts) | set(sample_counts))
            },
        }
    return out


def make_sample(
    platform: Platform,
    *,
    actor: Principal,
    ref: str,
    rows: int | None = None,
    strata: list[str] | None = None,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """Create or refresh the sample dataset of a conditional dataset (ACC-7)."""
    settings = platform.settings
    rows = rows if rows is not None else settings.sample_default_rows
    strata = list(dict.fromkeys(strata or []))
    if not 1 <= rows <= MAX_SAMPLE_ROWS:
        raise ValidationFailed(
            f"rows must be between 1 and {MAX_SAMPLE_ROWS}",
            message_zh=f"样本行数须在1至{MAX_SAMPLE_ROWS}之间",
            details=[{"field": "rows", "message": "out of range"}],
        )
    with platform.db.reading() as session:
        source = catalog.find_dataset(session, ref)
        require(rules.can_make_sample(actor, source.provider_id))
        if source.open_class != OpenClass.CONDITIONAL.value:
            raise Conflict(
                "samples are drawn from conditional datasets",
                message_zh="仅有条件开放数据集可生成样本",
                code="not_conditional",
            )
        head = session.get(DatasetHead, source.id)
        version = (
            session.scalar(
                select(DataVersion).where(
                    DataVersion.dataset_id == source.id, DataVersion.version == head.version
                )
            )
            if head
            else None
        )
        if version is None:
            raise Conflict("the dataset has no data yet", message_zh="该数据集尚无数据", code="no_data")
        names = [str(c["name"]) for c in version.columns]
        unknown = [s for s in strata if s not in names]
        if unknown:
            raise ValidationFailed(
                "unknown strata columns",
                message_zh="分层字段不存在",
                details=[{"field": "strata", "message": f"'{s}' is not a column"} for s in unknown],
            )
        full_path = _version_path(platform, version)
        columns = list(version.columns)
        source_version = version.version
        link = session.scalar(select(SampleLink).where(SampleLink.source_dataset_id == source.id))
        sample_id = link.sample_dataset_id if link else None
        document = None if link else _sample_document(source, rows, strata, _sample_code(session, source))
        source_id, source_code, provider_id = source.id, source.code, source.provider_id
    if document is not None:
        # Provider staff create it as themselves; the center (no catalog rights of its own) via the system.
        author = actor if identity_rules.can_edit_provider_catalog(actor, provider_id) else SYSTEM
        sample_id = catalog.create_dataset(platform, actor=author, data=document).id
    assert sample_id is not None
    con = work_cursor(settings)
    try:
        quotas = model.allocate(_strata_counts(con, full_path, strata), rows)
        select_sql = sample_select(full_path, strata, quotas, seed)
        sample_version = derive_version(
            platform,
            dataset_id=sample_id,
            select_sql=select_sql,
            actor=actor,
            source_name=f"{source_code} v{source_version} sample",
            note=f"sample of {source_code} v{source_version}: {sum(quotas.values())} rows, "
            f"strata {strata}, seed {seed}",
        )
        with platform.db.reading() as session:
            made = session.scalar(
                select(DataVersion).where(
                    DataVersion.dataset_id == sample_id, DataVersion.version == sample_version
                )
            )
            assert made is not None
            sample_path = _version_path(platform, made)
        comparison = compare(con, full_path, sample_path, columns, strata)
    finally:
        con.close()
    publication: dict[str, Any] = {"published": False, "problems": []}
    with platform.db.transaction() as session:
        sample = session.get(Dataset, sample_id)
        assert sample is not None
        link = session.scalar(select(SampleLink).where(SampleLink.source_dataset_id == source_id))
        if link is None:
            link = SampleLink(
                source_dataset_id=source_id, sample_dataset_id=sample_id, created_by=actor.user_id
            )
            session.add(link)
        link.source_version, link.sample_version = source_version, sample_version
        link.rows, link.strata, link.seed = comparison["rows"]["sample"], strata, seed
        link.comparison = comparison
        link.updated_at = utcnow()
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="quality.make_sample",
            subject_type="dataset",
            subject_id=source_id,
            organization_id=provider_id,
            details={
                "source": source_code,
                "sample": sample.code,
                "source_version": source_version,
                "sample_version": sample_version,
                "rows": link.rows,
                "strata": strata,
                "seed": seed,
                "max_share_difference": (comparison["strata"] or {}).get("max_share_difference"),
            },
        )
        if sample.state == DatasetState.DRAFT.value and rules.can_publish_sample(actor):
            problems = gates.publication_problems(session, sample)
            if problems:
                publication["problems"] = [
                    {"gate": p.gate, "code": p.code, "message_en": p.message_en, "message_zh": p.message_zh}
                    for p in problems
                ]
            else:
                catalog.apply_publication(
                    session, actor=actor, dataset=sample, note=f"sample of {source_code}"
                )
                publication["published"] = True
        publication["state"] = sample.state
        return {
            "source": source_code,
            "sample": sample.code,
            "sample_id": sample.id,
            "source_version": source_version,
            "sample_version": sample_version,
            "rows": link.rows,
            "strata": strata,
            "seed": seed,
            "comparison": comparison,
            "publication": publication,
        }
