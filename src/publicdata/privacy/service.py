"""Privacy use-cases: the privacy view of a dataset (scan, rules, gate), setting rules, reprocessing,
publication overrides, and the k-anonymity report."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from publicdata.audit.service import record_audit
from publicdata.catalog.service import find_dataset
from publicdata.catalog.tables import Dataset
from publicdata.datastore.engine import data_dir, work_cursor
from publicdata.datastore.ingest import derive_version
from publicdata.datastore.model import quote_ident, quote_literal
from publicdata.errors import BadRequest, Conflict, NotFound, ValidationFailed
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform
from publicdata.privacy import rules as can
from publicdata.privacy.gate import current_scan, describe, override_for, privacy_problems
from publicdata.privacy.model import KAnonymity, RuleProblem, check_justification, parse_rules
from publicdata.privacy.tables import PrivacyOverride, PrivacyRuleSet

MAX_QUASI_IDENTIFIERS = 10


def _rule_problem(problem: RuleProblem, field: str) -> ValidationFailed:
    return ValidationFailed(
        problem.message_en,
        message_zh=problem.message_zh,
        code="invalid_privacy_rule" if field == "rules" else "invalid_justification",
        details=[{"field": field, "index": problem.index}],
    )


def _override_out(o: PrivacyOverride, code: str | None = None) -> dict[str, Any]:
    return {
        "id": o.id,
        "dataset": code or o.dataset_id,
        "version": o.version,
        "organization_id": o.organization_id,
        "justification": o.justification,
        "columns": o.columns,
        "created_by": o.created_by,
        "created_at": o.created_at,
    }


def privacy_status(platform: Platform, *, actor: Principal, ref: str) -> dict[str, Any]:
    """The current version's scan (masked examples only), the rules, and whether the gate passes."""
    with platform.db.reading() as session:
        dataset = find_dataset(session, ref)
        require(can.can_view_privacy(actor, dataset.provider_id))
        stored = session.get(PrivacyRuleSet, dataset.id)
        version, scan = current_scan(session, dataset.id)
        override = override_for(session, version.id) if version is not None else None
        problems = privacy_problems(session, dataset)
        return {
            "dataset": dataset.code,
            "version": version.version if version is not None else None,
            "scan": scan.report if scan is not None else None,
            "applied_rules": scan.applied_rules if scan is not None else [],
            "rules": stored.rules if stored is not None else [],
            "rules_updated_at": stored.updated_at if stored is not None else None,
            "raw_kept": bool(version is not None and version.raw_path),
            "gate": {
                "passes": not problems,
                "blocking": scan.blocking if scan is not None else [],
                "override": _override_out(override, dataset.code) if override is not None else None,
                "problems": [
                    {"code": p.code, "message_en": p.message_en, "message_zh": p.message_zh} for p in problems
                ],
            },
            "suggested_rules": [f["suggested_rule"] for f in (scan.report["findings"] if scan else [])],
        }


def set_rules(
    platform: Platform, *, actor: Principal, ref: str, rules: list[dict[str, Any]]
) -> dict[str, Any]:
    """Replace the dataset's desensitization rules (applied to every new version; see `reprocess`)."""
    try:
        parsed = parse_rules(rules)
    except RuleProblem as problem:
        raise _rule_problem(problem, "rules") from None
    with platform.db.transaction() as session:
        dataset = find_dataset(session, ref)
        require(can.can_manage_privacy(actor, dataset.provider_id))
        stored = session.get(PrivacyRuleSet, dataset.id)
        before = stored.rules if stored is not None else []
        after = [r.as_dict() for r in parsed]
        if stored is None:
            stored = PrivacyRuleSet(dataset_id=dataset.id, rules=after, updated_by=actor.user_id)
            session.add(stored)
        else:
            stored.rules = after
            stored.updated_by = actor.user_id
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="privacy.set_rules",
            subject_type="dataset",
            subject_id=dataset.id,
            organization_id=dataset.provider_id,
            details={"code": dataset.code, "before": before, "after": after},
        )
        return {"dataset": dataset.code, "rules": after, "updated_at": stored.updated_at}


def reprocess_dataset(platform: Platform, *, actor: Principal, ref: str) -> dict[str, Any]:
    """A new version with the current rules, from the current version's raw file when policy kept it,
    else from its served (already desensitized) file."""
    with platform.db.reading() as session:
        dataset = find_dataset(session, ref)
        require(can.can_manage_privacy(actor, dataset.provider_id))
        version, _scan = current_scan(session, dataset.id)
        if version is None:
            raise Conflict("this dataset has no data yet", message_zh="该数据集尚无数据", code="no_data")
        dataset_id, code, provider_id = dataset.id, dataset.code, dataset.provider_id
        from_raw = bool(version.raw_path) and (data_dir(platform.settings) / str(version.raw_path)).exists()
        source = data_dir(platform.settings) / str(version.raw_path if from_raw else version.path)
        base = version.version
    new_version = derive_version(
        platform,
        dataset_id=dataset_id,
        select_sql=f"SELECT * FROM read_parquet({quote_literal(str(source))})",
        actor=actor,
        source_name=f"v{base}{' raw' if from_raw else ''}",
        note=f"privacy reprocessing of version {base}",
    )
    with platform.db.transaction() as session:
        record_audit(
            session,
            actor=actor,
            action="privacy.reprocess",
            subject_type="dataset",
            subject_id=dataset_id,
            organization_id=provider_id,
            details={"code": code, "from_version": base, "version": new_version, "from_raw": from_raw},
        )
    out = privacy_status(platform, actor=actor, ref=code)
    out["from_version"] = base
    out["from_raw"] = from_raw
    return out


def file_override(platform: Platform, *, actor: Principal, ref: str, justification: str) -> dict[str, Any]:
    """The provider's written decision to publish the current version despite detected personal data;
    holds for that version only."""
    try:
        text = check_justification(justification)
    except RuleProblem as problem:
        raise _rule_problem(problem, "justification") from None
    with platform.db.transaction() as session:
        dataset = find_dataset(session, ref)
        require(can.can_override_gate(actor, dataset.provider_id))
        version, scan = current_scan(session, dataset.id)
        if version is None or scan is None or not scan.blocking:
            raise Conflict(
                "the current version has no unprotected personal data to override",
                message_zh="当前版本没有需例外说明的未脱敏个人信息",
                code="nothing_to_override",
            )
        override = PrivacyOverride(
            dataset_id=dataset.id,
            version_id=version.id,
            version=version.version,
            organization_id=dataset.provider_id,
            justification=text,
            columns=scan.blocking,
            created_by=actor.user_id,
        )
        session.add(override)
        version.withheld_reason = ""  # the written decision makes the version servable
        session.flush()
        en, _zh = describe(scan.blocking)
        record_audit(
            session,
            actor=actor,
            action="privacy.override",
            subject_type="dataset",
            subject_id=dataset.id,
            organization_id=dataset.provider_id,
            details={
                "code": dataset.code,
                "version": version.version,
                "override": override.id,
                "columns": en,
                "justification": text,
            },
        )
        return _override_out(override, dataset.code)


def list_overrides(
    platform: Platform, *, actor: Principal, organization_id: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    require(can.can_list_overrides(actor))
    with platform.db.reading() as session:
        query = (
            select(PrivacyOverride, Dataset.code)
            .join(Dataset, Dataset.id == PrivacyOverride.dataset_id)
            .order_by(PrivacyOverride.created_at.desc())
            .limit(max(1, min(limit, 1000)))
        )
        if organization_id:
            query = query.where(PrivacyOverride.organization_id == organization_id)
        return [_override_out(o, code) for o, code in session.execute(query)]


def k_anonymity(
    platform: Platform, *, actor: Principal, ref: str, columns: list[str], k: int
) -> dict[str, Any]:
    """Group sizes over the chosen quasi-identifier columns of the current (served) version."""
    names = [c.strip() for c in columns if c.strip()]
    if not names or len(names) > MAX_QUASI_IDENTIFIERS or len(set(names)) != len(names):
        raise BadRequest(
            f"name 1–{MAX_QUASI_IDENTIFIERS} distinct columns",
            message_zh=f"须指定1至{MAX_QUASI_IDENTIFIERS}个不重复的字段",
            code="invalid_columns",
        )
    if not 2 <= k <= 1000:
        raise BadRequest("k must be 2–1000", message_zh="k 须为2至1000", code="invalid_k")
    with platform.db.reading() as session:
        dataset = find_dataset(session, ref)
        require(can.can_view_privacy(actor, dataset.provider_id))
        version, _scan = current_scan(session, dataset.id)
        if version is None:
            raise NotFound("this dataset has no data yet", message_zh="该数据集尚无数据", code="no_data")
        known = {str(c["name"]) for c in version.columns}
        path = data_dir(platform.settings) / version.path
        code, number = dataset.code, version.version
    missing = [n for n in names if n not in known]
    if missing:
        raise BadRequest(
            f"unknown columns: {', '.join(missing)}",
            message_zh=f"字段不存在：{'、'.join(missing)}",
            code="unknown_column",
            details=[{"column": n} for n in missing],
        )
    group = ", ".join(quote_ident(n) for n in names)
    con = work_cursor(platform.settings)
    try:
        row = con.execute(
            f"SELECT coalesce(sum(n), 0), count(*), coalesce(min(n), 0), count(*) FILTER (WHERE n < {k}), "
            f"coalesce(sum(n) FILTER (WHERE n < {k}), 0) FROM "
            f"(SELECT count(*) AS n FROM read_parquet({quote_literal(str(path))}) GROUP BY {group})"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    result = KAnonymity(tuple(names), k, int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))
    return {"dataset": code, "version": number, **result.as_dict()}
