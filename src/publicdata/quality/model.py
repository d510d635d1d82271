"""Quality rules in plain Python (QUA-1, CAT-8, ACC-7): findings, the score, configuration, samples.

The checks themselves run in DuckDB (``checks.py``); this module decides what counts, how findings turn
into a 0–100 score, which columns are candidates for key / identifier / division-code checks, and how a
stratified sample is allocated. No database imports here. Weights and rules: ``docs/quality.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from publicdata.catalog.model import (
    DataItem,
    FieldType,
    UpdateFrequency,
    data_item_problems,
    next_update_due,
)
from publicdata.reference.divisions import division


class Dimension(StrEnum):
    COMPLETENESS = "completeness"  # 完整性
    UNIQUENESS = "uniqueness"  # 唯一性
    VALIDITY = "validity"  # 有效性
    CONSISTENCY = "consistency"  # 一致性
    DOCUMENTATION = "documentation"  # 规范性（数据项说明）
    TIMELINESS = "timeliness"  # 及时性


DIMENSION_LABELS: dict[Dimension, tuple[str, str]] = {
    Dimension.COMPLETENESS: ("完整性", "Completeness"),
    Dimension.UNIQUENESS: ("唯一性", "Uniqueness"),
    Dimension.VALIDITY: ("有效性", "Validity"),
    Dimension.CONSISTENCY: ("一致性", "Consistency"),
    Dimension.DOCUMENTATION: ("说明规范性", "Documentation"),
    Dimension.TIMELINESS: ("及时性", "Timeliness"),
}

# Weights of the dimensions in the overall score (sum 100), documented in docs/quality.md.
WEIGHTS: dict[Dimension, int] = {
    Dimension.COMPLETENESS: 25,
    Dimension.UNIQUENESS: 20,
    Dimension.VALIDITY: 25,
    Dimension.CONSISTENCY: 10,
    Dimension.DOCUMENTATION: 10,
    Dimension.TIMELINESS: 10,
}


class Severity(StrEnum):
    ERROR = "error"  # must be corrected before opening (QUA-1: no error values, no duplicates)
    WARNING = "warning"  # should be corrected


class Check(StrEnum):
    EMPTY_VALUES = "empty_values"
    EMPTY_ROWS = "empty_rows"
    DUPLICATE_ROWS = "duplicate_rows"
    DUPLICATE_KEYS = "duplicate_keys"
    TYPE_ERRORS = "type_errors"
    INVALID_IDENTIFIERS = "invalid_identifiers"
    OUT_OF_RANGE = "out_of_range"
    NOT_ALLOWED = "not_allowed"
    PATTERN_MISMATCH = "pattern_mismatch"
    INCONSISTENT_CODES = "inconsistent_codes"
    FIELD_DESCRIPTIONS = "field_descriptions"
    MISSING_COLUMNS = "missing_columns"
    TIMELINESS = "timeliness"


@dataclass(frozen=True)
class CheckRule:
    dimension: Dimension
    severity: Severity
    label_zh: str
    label_en: str


CHECKS: dict[Check, CheckRule] = {
    Check.EMPTY_VALUES: CheckRule(Dimension.COMPLETENESS, Severity.WARNING, "空值", "empty values"),
    Check.EMPTY_ROWS: CheckRule(Dimension.COMPLETENESS, Severity.ERROR, "整行为空", "fully empty rows"),
    Check.DUPLICATE_ROWS: CheckRule(Dimension.UNIQUENESS, Severity.ERROR, "重复行", "duplicate rows"),
    Check.DUPLICATE_KEYS: CheckRule(Dimension.UNIQUENESS, Severity.ERROR, "主键重复", "duplicate keys"),
    Check.TYPE_ERRORS: CheckRule(Dimension.VALIDITY, Severity.ERROR, "类型错误", "type errors"),
    Check.INVALID_IDENTIFIERS: CheckRule(
        Dimension.VALIDITY, Severity.ERROR, "证件代码无效", "invalid identifiers"
    ),
    Check.OUT_OF_RANGE: CheckRule(Dimension.VALIDITY, Severity.ERROR, "超出取值范围", "out of range"),
    Check.NOT_ALLOWED: CheckRule(Dimension.VALIDITY, Severity.ERROR, "不在允许值中", "value not allowed"),
    Check.PATTERN_MISMATCH: CheckRule(Dimension.VALIDITY, Severity.ERROR, "格式不符", "pattern mismatch"),
    Check.INCONSISTENT_CODES: CheckRule(
        Dimension.CONSISTENCY, Severity.ERROR, "区划代码不一致", "unknown division codes"
    ),
    Check.FIELD_DESCRIPTIONS: CheckRule(
        Dimension.DOCUMENTATION, Severity.WARNING, "数据项说明缺失或含未解释缩写", "field descriptions"
    ),
    Check.MISSING_COLUMNS: CheckRule(
        Dimension.DOCUMENTATION, Severity.WARNING, "数据与数据项不一致", "columns differ from data items"
    ),
    Check.TIMELINESS: CheckRule(Dimension.TIMELINESS, Severity.WARNING, "更新不及时", "late update"),
}

MAX_EXAMPLES = 5


@dataclass
class Finding:
    """One problem found: how many of `total` units (rows, values or fields) it affects."""

    check: Check
    count: int
    total: int
    column: str | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)  # {"row": n, "value": v} (row 1 = first)
    detail: str = ""

    @property
    def rule(self) -> CheckRule:
        return CHECKS[self.check]

    @property
    def ratio(self) -> float:
        return min(1.0, self.count / self.total) if self.total > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check.value,
            "label": self.rule.label_zh,
            "label_en": self.rule.label_en,
            "dimension": self.rule.dimension.value,
            "severity": self.rule.severity.value,
            "column": self.column,
            "count": self.count,
            "total": self.total,
            "ratio": round(self.ratio, 6),
            "examples": self.examples[:MAX_EXAMPLES],
            "detail": self.detail,
        }


def dimension_scores(findings: Iterable[Finding]) -> dict[Dimension, float]:
    """Each dimension starts at 100; every finding keeps only the unaffected share: 100·Π(1 − ratio)."""
    kept = dict.fromkeys(Dimension, 1.0)
    for f in findings:
        kept[f.rule.dimension] *= 1.0 - f.ratio
    return {d: round(100.0 * k, 2) for d, k in kept.items()}


def overall_score(breakdown: Mapping[Dimension, float]) -> int:
    total = sum(WEIGHTS[d] * breakdown[d] for d in Dimension) / sum(WEIGHTS.values())
    return math.floor(total + 0.5)


@dataclass
class Report:
    row_count: int
    column_count: int
    findings: list[Finding]
    columns_checked: dict[str, list[str]] = field(default_factory=dict)  # check -> columns
    update: dict[str, Any] = field(default_factory=dict)

    @property
    def breakdown(self) -> dict[Dimension, float]:
        return dimension_scores(self.findings)

    @property
    def score(self) -> int:
        return overall_score(self.breakdown)

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(
            self.findings,
            key=lambda f: (f.rule.severity is not Severity.ERROR, -f.ratio, f.check, f.column or ""),
        )
        return {
            "score": self.score,
            "breakdown": {d.value: v for d, v in self.breakdown.items()},
            "weights": {d.value: w for d, w in WEIGHTS.items()},
            "row_count": self.row_count,
            "column_count": self.column_count,
            "findings": [f.as_dict() for f in ordered],
            "counts": check_counts(self.findings),
            "columns_checked": self.columns_checked,
            "update": self.update,
        }


def check_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Total count per check (over columns)."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.check.value] = counts.get(f.check.value, 0) + f.count
    return counts


# ---------------------------------------------------------------------------------------------
# Configuration: key columns and declared constraints (PUT .../quality/config).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Constraint:
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None


def parse_constraints(raw: Mapping[str, Any]) -> tuple[dict[str, Constraint], list[tuple[str, str]]]:
    """Constraints from JSON; returns them and every problem as (field path, message)."""
    out: dict[str, Constraint] = {}
    problems: list[tuple[str, str]] = []
    for column, spec in raw.items():
        path = f"constraints.{column}"
        if not isinstance(spec, Mapping):
            problems.append((path, "a constraint is an object {min, max, allowed, pattern}"))
            continue
        unknown = set(spec) - {"min", "max", "allowed", "pattern"}
        if unknown:
            problems.append((path, f"unknown keys: {', '.join(sorted(unknown))}"))
        low, high = spec.get("min"), spec.get("max")
        for key, value in (("min", low), ("max", high)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                problems.append((f"{path}.{key}", "must be a number"))
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            problems.append((path, "min is greater than max"))
        allowed = spec.get("allowed")
        if allowed is not None and (not isinstance(allowed, list) or not allowed):
            problems.append((f"{path}.allowed", "must be a non-empty list"))
        pattern = spec.get("pattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                problems.append((f"{path}.pattern", f"invalid regular expression: {exc}"))
        out[str(column)] = Constraint(
            min=float(low) if isinstance(low, int | float) and not isinstance(low, bool) else None,
            max=float(high) if isinstance(high, int | float) and not isinstance(high, bool) else None,
            allowed=tuple(str(a) for a in allowed) if isinstance(allowed, list) and allowed else None,
            pattern=str(pattern) if pattern is not None else None,
        )
    return out, problems


def constraints_json(constraints: Mapping[str, Constraint]) -> dict[str, dict[str, Any]]:
    return {
        name: {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(c).items() if v is not None}
        for name, c in constraints.items()
    }


# ---------------------------------------------------------------------------------------------
# Candidate columns.
# ---------------------------------------------------------------------------------------------

_KEY_NAME = re.compile(r"^(id|code|.+_id)$", re.IGNORECASE)
# A key column "meant to be unique": named like a key and (almost) all values distinct.
KEY_DISTINCT_RATIO = 0.9


def key_candidates(names: Sequence[str]) -> list[str]:
    return [n for n in names if _KEY_NAME.match(n)]


def is_key_like(name: str, count: int, distinct: int) -> bool:
    return bool(_KEY_NAME.match(name)) and count > 0 and distinct >= KEY_DISTINCT_RATIO * count


class IdentifierKind(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证号码 (stdnum cn.ric)
    CREDIT_CODE = "credit_code"  # 统一社会信用代码 (stdnum cn.uscc)


# Shapes used as the DuckDB prefilter (candidates); the checksum is validated by python-stdnum.
IDENTIFIER_SHAPES: dict[IdentifierKind, str] = {
    IdentifierKind.RESIDENT_ID: r"^[1-9][0-9]{16}[0-9Xx]$",
    IdentifierKind.CREDIT_CODE: r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
}
_IDENTIFIER_NAMES: dict[IdentifierKind, re.Pattern[str]] = {
    IdentifierKind.RESIDENT_ID: re.compile(r"(id_?card|id_?no|resident_id|sfz|身份证)", re.IGNORECASE),
    IdentifierKind.CREDIT_CODE: re.compile(r"(credit_?code|uscc|tyshxydm|信用代码)", re.IGNORECASE),
}
# A column "looks like" identifiers when most of its values have the shape (or its name says so).
IDENTIFIER_SHARE = 0.5


def identifier_kind_by_name(name: str, label: str = "") -> IdentifierKind | None:
    for kind, pattern in _IDENTIFIER_NAMES.items():
        if pattern.search(name) or (label and pattern.search(label)):
            return kind
    return None


def identifier_valid(kind: IdentifierKind, value: str) -> bool:
    from stdnum.cn import ric, uscc

    if kind is IdentifierKind.RESIDENT_ID:
        # Checksum and birth date by stdnum; the area part only by its province: stdnum's place table
        # lacks current codes such as 310115 (浦东新区), and an ID keeps its historical area code.
        number = value.upper()
        if len(number) != 18 or not number[:17].isdigit() or ric.calc_check_digit(number) != number[-1]:
            return False
        try:
            ric.get_birth_date(number)
        except ValueError:
            return False
        return division(number[:2]) is not None
    return bool(uscc.is_valid(value))


_CODE_NAME = re.compile(
    r"(district|area|region|county|division|xzqh|qhdm|adcode).*code|^(adcode|qhdm)$", re.I
)
_CODE_LABEL = re.compile(r"(区划代码|行政区划|区县代码|区代码)")
DIVISION_CODE_SHAPE = r"^[0-9]{6}$"


def is_division_code_column(name: str, label: str = "") -> bool:
    return bool(_CODE_NAME.search(name) or (label and _CODE_LABEL.search(label)))


# ---------------------------------------------------------------------------------------------
# Declared types.
# ---------------------------------------------------------------------------------------------

TYPED = frozenset(
    {FieldType.INTEGER, FieldType.DECIMAL, FieldType.DATE, FieldType.DATETIME, FieldType.BOOLEAN}
)


def parse_declared(items: Iterable[str]) -> dict[str, FieldType]:
    """`col=type` pairs from the command line."""
    out: dict[str, FieldType] = {}
    for item in items:
        name, sep, type_name = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"'{item}' is not column=type")
        out[name.strip()] = FieldType(type_name.strip().lower())
    return out


# ---------------------------------------------------------------------------------------------
# Documentation (CAT-2) and timeliness (CAT-8).
# ---------------------------------------------------------------------------------------------


def documentation_findings(items: Sequence[DataItem], data_columns: Sequence[str]) -> list[Finding]:
    """Data items without a clear description or with unexplained abbreviations (the catalog's CAT-2
    rule), and data columns that no data item describes."""
    findings: list[Finding] = []
    if items:
        bad: dict[str, str] = {}
        for path, message in data_item_problems(items):
            if not path.endswith((".description", ".label")):
                continue
            index = int(path.split("[", 1)[1].split("]", 1)[0])
            bad.setdefault(items[index].name, message)
        if bad:
            findings.append(
                Finding(
                    Check.FIELD_DESCRIPTIONS,
                    count=len(bad),
                    total=len(items),
                    examples=[{"value": name, "message": msg} for name, msg in bad.items()],
                )
            )
    described = {i.name for i in items}
    undocumented = [c for c in data_columns if c not in described]
    if items and undocumented:
        findings.append(
            Finding(
                Check.MISSING_COLUMNS,
                count=len(undocumented),
                total=len(data_columns),
                examples=[{"value": c} for c in undocumented],
                detail="columns without a data item (数据项) in the catalog",
            )
        )
    return findings


_PERIOD_DAYS = {
    UpdateFrequency.REALTIME: 1,
    UpdateFrequency.DAILY: 1,
    UpdateFrequency.WEEKLY: 7,
    UpdateFrequency.MONTHLY: 30,
    UpdateFrequency.QUARTERLY: 91,
    UpdateFrequency.YEARLY: 365,
}


def timeliness(
    frequency: UpdateFrequency | None, previous_update: date | None, this_update: date
) -> tuple[Finding | None, dict[str, Any]]:
    """Was this version on time? The update is due one declared period after the previous data update
    (catalog rule `next_update_due`); a late version loses its share of lateness over one period."""
    info: dict[str, Any] = {
        "frequency": frequency.value if frequency else None,
        "previous_update": previous_update.isoformat() if previous_update else None,
        "this_update": this_update.isoformat(),
        "due": None,
        "late_days": 0,
    }
    if frequency is None or previous_update is None:
        return None, info
    due = next_update_due(frequency, previous_update)
    if due is None:
        return None, info
    info["due"] = due.isoformat()
    late = (this_update - due).days
    if late <= 0:
        return None, info
    info["late_days"] = late
    period = _PERIOD_DAYS[frequency]
    finding = Finding(
        Check.TIMELINESS,
        count=min(late, period),
        total=period,
        detail=f"updated {late} day(s) after the due date {due.isoformat()}",
        examples=[{"value": due.isoformat(), "late_days": late}],
    )
    return finding, info


# ---------------------------------------------------------------------------------------------
# Samples (ACC-7): proportional allocation over strata.
# ---------------------------------------------------------------------------------------------


def allocate(strata: Mapping[Any, int], rows: int) -> dict[Any, int]:
    """Rows per stratum for a sample of `rows` (largest-remainder proportional allocation; every
    non-empty stratum gets at least one row when the sample is large enough). Never more than a
    stratum holds; the whole table when `rows` ≥ its size."""
    total = sum(strata.values())
    if total <= rows:
        return dict(strata)
    quotas = {k: rows * n / total for k, n in strata.items()}
    out = {k: min(strata[k], math.floor(q)) for k, q in quotas.items()}
    if rows >= len(strata):
        for k, n in strata.items():
            if n > 0 and out[k] == 0:
                out[k] = 1
    left = rows - sum(out.values())
    order = sorted(strata, key=lambda k: (-(quotas[k] - math.floor(quotas[k])), str(k)))
    i = 0
    while left > 0 and order:
        k = order[i % len(order)]
        if out[k] < strata[k]:
            out[k] += 1
            left -= 1
        i += 1
        if i > 10 * len(order) + rows:
            break
    while left < 0:
        # Take back from strata that keep at least one row (the guaranteed minimum stays).
        pool = [key for key in out if out[key] > 1] or [key for key in out if out[key] > 0]
        k = max(pool, key=lambda key: (out[key] - quotas[key], str(key)))
        out[k] -= 1
        left += 1
    return out


def share_difference(full: Mapping[str, int], sample: Mapping[str, int]) -> float:
    """The largest absolute difference of stratum shares between full data and sample (0..1)."""
    total_full = sum(full.values()) or 1
    total_sample = sum(sample.values()) or 1
    keys = set(full) | set(sample)
    return max(
        (abs(full.get(k, 0) / total_full - sample.get(k, 0) / total_sample) for k in keys), default=0.0
    )
