"""Privacy rules in plain Python: the detector plug-in point, masking of examples, scan findings and the
publication threshold, desensitization rules and k-anonymity results. No database, DuckDB or web imports.

A detector is one registered object (`register_detector(Detector(...))`): a DuckDB (RE2) regular
expression whose group 1 is a candidate, and a Python validator run only on candidates. The built-in
detectors are in `privacy/detectors.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# ---------------------------------------------------------------------------------------------
# Detectors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detector:
    """One kind of personal or identifying value.

    - `pattern`: RE2 regular expression for DuckDB's `regexp_extract_all(value, pattern, 1)`; group 1 is
      the candidate. It must be cheap and broad (every true value matches); `validate` decides.
    - `personal`: hits count for the publication gate (SEC-4 personal sensitive information);
      `personal_hints` make hits personal only in columns whose label says so (e.g. home addresses).
    - `hints`: lower-case fragments of column names / labels that raise the confidence; with
      `needs_hint` only columns with a hint are scanned by the detector (person names).
    - `numeric`: also scan integer columns (their decimal text).
    - `sql_validate`: optionally, a function giving the validator as a DuckDB boolean expression over
      the candidate expression it is given (it may use subqueries): the scan then counts hits in SQL,
      with no Python per value. It must agree with `validate` (tests/integration/test_privacy_scan.py
      compares them) on candidates. `sql_key`, optionally, gives what `sql_validate` is applied to
      from the candidate (e.g. its digits as an integer), computed once per candidate.
    - `value_pattern`: optionally, RE2 for a value that is exactly one candidate (group 1 of `pattern`
      spanning the whole value): with `sql_validate`, such values are validated whole, without
      extracting candidates (the common case of a column of IDs).
    - `by_value`: candidates are whole values (names, categories): the scan validates each distinct
      value once (a GROUP BY in DuckDB, hits summed over its count), never once per row.
      `validate_hinted`, optionally, replaces `validate` in columns with a hint (the label already says
      what the values are: 姓名 accepts any 2–4 Han characters, 民族 also the bare 汉 or 回). Without a
      hint, a column is reported only when at least `column_min_values` distinct values are valid and
      they are at least `column_share` of its distinct non-empty values (a column of names, not a
      column of places with a few name-like ones). With `personal_if_repeated`, the hits are personal
      only when some valid value occurs more than once: a column listing each ethnic group once is the
      dimension of a statistics table, not a fact about persons.
    - `chance_rate`: how often a random candidate passes the validator (1/11 for a mod-11 check
      digit, 1/10 for Luhn). A column where at least MIN_CANDIDATES candidates pass at most twice that
      often holds some other code that sometimes checks out by chance (permit numbers built from an
      area code and a date, all-digit credit codes): it is not reported.
    """

    name: str
    label_zh: str
    label_en: str
    personal: bool
    pattern: str
    validate: Callable[[str], bool]
    hints: tuple[str, ...] = ()
    personal_hints: tuple[str, ...] = ()
    numeric: bool = False
    confidence: float = 0.9  # of a validated hit in a column without a hint
    needs_hint: bool = False
    chance_rate: float = 0.0
    sql_validate: Callable[[str], str] | None = None
    sql_key: Callable[[str], str] | None = None
    value_pattern: str | None = None
    by_value: bool = False
    validate_hinted: Callable[[str], bool] | None = None
    column_share: float = 0.0
    column_min_values: int = 1
    personal_if_repeated: bool = False
    suggested_rule: Mapping[str, Any] = field(default_factory=lambda: {"kind": "mask"})


MIN_CANDIDATES = 20


def chance_only(det: Detector, hits: int, candidates: int) -> bool:
    """Are `hits` out of `candidates` what random codes would give (see Detector.chance_rate)?"""
    return bool(det.chance_rate) and candidates >= MIN_CANDIDATES and hits <= 2 * det.chance_rate * candidates


_DETECTORS: dict[str, Detector] = {}


def register_detector(detector: Detector) -> None:
    """Add (or replace, by name) a detector: the plug-in point for new kinds of personal data."""
    _DETECTORS[detector.name] = detector


def detectors() -> list[Detector]:
    from publicdata.privacy import detectors as _builtins  # noqa: F401  (registers the built-ins)

    return list(_DETECTORS.values())


def detector(name: str) -> Detector:
    detectors()
    return _DETECTORS[name]


def hinted(names: Iterable[str], hints: Sequence[str]) -> bool:
    """Does any of a column's names (name, label, English label) contain one of `hints`?"""
    texts = [n.lower() for n in names if n]
    return any(h in t for h in hints for t in texts)


def mask_value(value: str) -> str:
    """A masked example for reports: about a sixth of the characters kept at each end, never more than
    3 + 4 (an ID `310***********1234` keeps what is printed on receipts), at least one `*`."""
    text = str(value)
    n = len(text)
    if n <= 1:
        return "*"
    if n <= 3:
        return text[0] + "*" * (n - 1)
    head = min(3, max(1, n // 6))
    tail = min(4, max(1, n // 6))
    return text[:head] + "*" * (n - head - tail) + text[-tail:]


# ---------------------------------------------------------------------------------------------
# Scan findings and the publication threshold
# ---------------------------------------------------------------------------------------------

# A column blocks publication when a personal detector validated at least GATE_MIN_HITS values in it
# and they are at least GATE_MIN_RATIO of its non-empty values (so one stray number in a free-text
# column does not block a whole dataset; a column of IDs always does).
GATE_MIN_HITS = 1
GATE_MIN_RATIO = 0.005


@dataclass(frozen=True)
class Finding:
    column: str
    detector: str
    hits: int
    non_null: int
    personal: bool
    confidence: float
    examples: tuple[str, ...]
    estimated: bool = False  # hits extrapolated from a sample of candidates (non-personal detectors)

    @property
    def ratio(self) -> float:
        return self.hits / self.non_null if self.non_null else 0.0

    @property
    def blocks(self) -> bool:
        return self.personal and self.hits >= GATE_MIN_HITS and self.ratio >= GATE_MIN_RATIO

    def as_dict(self) -> dict[str, Any]:
        d = detector(self.detector)
        return {
            "column": self.column,
            "detector": self.detector,
            "label": d.label_zh,
            "label_en": d.label_en,
            "personal": self.personal,
            "hits": self.hits,
            "non_null": self.non_null,
            "ratio": round(self.ratio, 6),
            "confidence": round(self.confidence, 3),
            "examples": list(self.examples),
            "estimated": self.estimated,
            "blocks_publication": self.blocks,
            "suggested_rule": {"column": self.column, **d.suggested_rule},
        }


def blocking_columns(findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The stored findings (as_dict form) that block publication, as {column, detectors}."""
    by_column: dict[str, list[str]] = {}
    for f in findings:
        if f.get("blocks_publication"):
            by_column.setdefault(str(f["column"]), []).append(str(f["detector"]))
    return [{"column": c, "detectors": sorted(ds)} for c, ds in by_column.items()]


# ---------------------------------------------------------------------------------------------
# Desensitization rules
# ---------------------------------------------------------------------------------------------


class RuleKind(StrEnum):
    MASK = "mask"  # keep the first `keep_first` and last `keep_last` characters, the rest become *
    PSEUDONYM = "pseudonym"  # keyed HMAC-SHA256 (hex), stable across versions
    GENERALIZE = "generalize"  # `to`: year | age_band | district | grid
    TRUNCATE = "truncate"  # first `length` characters
    DROP = "drop"  # the column is removed


class Generalization(StrEnum):
    YEAR = "year"  # a date / birth date → its year
    AGE_BAND = "age_band"  # an age → "30-39"
    DISTRICT = "district"  # an address → the district (NBS division) it names
    GRID = "grid"  # a coordinate → rounded to `decimals` decimals


@dataclass(frozen=True)
class ColumnRule:
    column: str
    kind: RuleKind
    keep_first: int = 0
    keep_last: int = 0
    length: int = 0
    to: Generalization | None = None
    decimals: int = 2

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"column": self.column, "kind": self.kind.value}
        if self.kind is RuleKind.MASK:
            out |= {"keep_first": self.keep_first, "keep_last": self.keep_last}
        elif self.kind is RuleKind.TRUNCATE:
            out["length"] = self.length
        elif self.kind is RuleKind.GENERALIZE:
            assert self.to is not None
            out["to"] = self.to.value
            if self.to is Generalization.GRID:
                out["decimals"] = self.decimals
        return out


class RuleProblem(ValueError):
    def __init__(self, message_en: str, message_zh: str, index: int) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.index = index


def _int(raw: Mapping[str, Any], key: str, default: int, low: int, high: int, index: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RuleProblem(
            f"'{key}' must be an integer {low}–{high}", f"“{key}”须为{low}至{high}的整数", index
        )
    return value


def parse_rules(items: Sequence[Mapping[str, Any]]) -> list[ColumnRule]:
    """Check a provider's rule list: one rule per column, known kinds and sensible parameters."""
    rules: list[ColumnRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        column = str(raw.get("column") or "").strip()
        if not column:
            raise RuleProblem("a rule needs a column", "规则须指定字段", i)
        if column in seen:
            raise RuleProblem(f"column '{column}' has two rules", f"字段“{column}”有两条规则", i)
        seen.add(column)
        try:
            kind = RuleKind(str(raw.get("kind")))
        except ValueError:
            kinds = ", ".join(k.value for k in RuleKind)
            raise RuleProblem(
                f"unknown rule kind (use {kinds})", f"未知的脱敏方式（可用 {kinds}）", i
            ) from None
        if kind is RuleKind.MASK:
            first = _int(raw, "keep_first", 0, 0, 50, i)
            last = _int(raw, "keep_last", 0, 0, 50, i)
            rules.append(ColumnRule(column, kind, keep_first=first, keep_last=last))
        elif kind is RuleKind.TRUNCATE:
            rules.append(ColumnRule(column, kind, length=_int(raw, "length", 1, 1, 1000, i)))
        elif kind is RuleKind.GENERALIZE:
            try:
                to = Generalization(str(raw.get("to")))
            except ValueError:
                names = ", ".join(g.value for g in Generalization)
                raise RuleProblem(f"'to' must be one of {names}", f"“to”须为 {names} 之一", i) from None
            decimals = _int(raw, "decimals", 2, 0, 6, i) if to is Generalization.GRID else 2
            rules.append(ColumnRule(column, kind, to=to, decimals=decimals))
        else:
            rules.append(ColumnRule(column, kind))
    return rules


# ---------------------------------------------------------------------------------------------
# k-anonymity and overrides
# ---------------------------------------------------------------------------------------------

MIN_JUSTIFICATION = 20


@dataclass(frozen=True)
class KAnonymity:
    columns: tuple[str, ...]
    k: int
    rows: int
    groups: int
    smallest_group: int
    groups_below_k: int
    rows_below_k: int

    @property
    def satisfied(self) -> bool:
        return self.rows_below_k == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "k": self.k,
            "rows": self.rows,
            "groups": self.groups,
            "smallest_group": self.smallest_group,
            "groups_below_k": self.groups_below_k,
            "rows_below_k": self.rows_below_k,
            "satisfied": self.satisfied,
        }


def check_justification(text: str) -> str:
    cleaned = re.sub(r"\s+", " ", text or "").strip()
    if len(cleaned) < MIN_JUSTIFICATION:
        raise RuleProblem(
            f"the justification needs at least {MIN_JUSTIFICATION} characters",
            f"书面理由至少须{MIN_JUSTIFICATION}个字",
            0,
        )
    return cleaned
