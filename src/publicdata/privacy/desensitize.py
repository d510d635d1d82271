"""Desensitization as DuckDB SQL (QUA-2, SEC-2): one SELECT expression per column rule, all vectorized.

The keyed pseudonym is HMAC-SHA256 written in SQL (RFC 2104: H((K⊕opad) ‖ H((K⊕ipad) ‖ m)) with
DuckDB's `sha256` over BLOBs), so no Python runs per value. The key is derived from the platform's
persisted PII key (`settings.persisted_secret("pii_key")`, the key identity uses for resident-ID
hashes): it survives session-key rotation, so pseudonyms stay stable across versions.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from publicdata.config import Settings
from publicdata.datastore.model import ColumnType, quote_ident, quote_literal
from publicdata.privacy.model import ColumnRule, Generalization, RuleKind
from publicdata.reference.divisions import shanghai_districts

_BLOCK = 64  # SHA-256 block size


def pseudonym_key(settings: Settings) -> bytes:
    """The platform pseudonym key: HMAC of a fixed label under the persisted PII key."""
    root = settings.persisted_secret("pii_key").encode()
    return hmac.new(root, b"publicdata.privacy.pseudonym.v1", hashlib.sha256).digest()


def pseudonym(key: bytes, value: str) -> str:
    """The same value the SQL expression computes (for tests and for matching a known value)."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _hmac_sql(key: bytes, text: str) -> str:
    padded = key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in padded).hex()
    outer = bytes(b ^ 0x5C for b in padded).hex()
    return f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({text}))))"


def _district_pattern() -> str:
    names = sorted((d.name for d in shanghai_districts()), key=len, reverse=True)
    return "(" + "|".join(names) + ")"


def _district_code_case(text: str) -> str:
    whens = " ".join(
        f"WHEN {quote_literal(d.code)} THEN {quote_literal(d.name)}" for d in shanghai_districts()
    )
    return f"CASE left({text}, 6) {whens} ELSE NULL END"


def rule_expression(rule: ColumnRule, column_type: str, key: bytes) -> str | None:
    """The SELECT expression (with its alias) for one column, or None to drop it."""
    ident = quote_ident(rule.column)
    text = f"CAST({ident} AS VARCHAR)"
    alias = f" AS {ident}"
    if rule.kind is RuleKind.DROP:
        return None
    if rule.kind is RuleKind.MASK:
        m, n = rule.keep_first, rule.keep_last
        return (
            f"CASE WHEN {ident} IS NULL THEN NULL WHEN length({text}) <= {m + n} "
            f"THEN repeat('*', length({text})) "
            f"ELSE left({text}, {m}) || repeat('*', length({text}) - {m + n}) || right({text}, {n}) END"
            + alias
        )
    if rule.kind is RuleKind.PSEUDONYM:
        return f"CASE WHEN {ident} IS NULL THEN NULL ELSE {_hmac_sql(key, text)} END" + alias
    if rule.kind is RuleKind.TRUNCATE:
        return f"left({text}, {rule.length})" + alias
    assert rule.to is not None
    if rule.to is Generalization.YEAR:
        if column_type in (ColumnType.DATE.value, ColumnType.DATETIME.value):
            return f"CAST(year({ident}) AS BIGINT)" + alias
        # Text dates (2024-03-05, 2024/3/5, 20240305) and birth dates inside resident IDs.
        return (
            f"CAST(coalesce(year(try_cast({text} AS DATE)), "
            f"try_cast(regexp_extract({text}, '^((?:18|19|20)[0-9]{{2}})', 1) AS INTEGER), "
            f"try_cast(regexp_extract({text}, '^[0-9]{{6}}((?:18|19|20)[0-9]{{2}})', 1) AS INTEGER)"
            ") AS BIGINT)" + alias
        )
    if rule.to is Generalization.AGE_BAND:
        band = f"CAST(floor(try_cast({text} AS DOUBLE) / 10) * 10 AS BIGINT)"
        return f"CASE WHEN {band} IS NULL THEN NULL ELSE {band} || '-' || ({band} + 9) END" + alias
    if rule.to is Generalization.DISTRICT:
        named = f"nullif(regexp_extract({text}, {quote_literal(_district_pattern())}, 1), '')"
        return f"coalesce({named}, {_district_code_case(text)})" + alias
    # GRID: a coordinate rounded to `decimals` decimals.
    return f"round(try_cast({text} AS DOUBLE), {rule.decimals})" + alias


def desensitize_select(
    parquet: Path, columns: Sequence[Mapping[str, Any]], rules: Sequence[ColumnRule], key: bytes
) -> tuple[str, list[ColumnRule]]:
    """`SELECT <expressions> FROM read_parquet(parquet)` and the rules that applied (rules for
    columns the file does not have are skipped)."""
    by_column = {r.column: r for r in rules}
    parts: list[str] = []
    applied: list[ColumnRule] = []
    for c in columns:
        name = str(c["name"])
        rule = by_column.get(name)
        if rule is None:
            parts.append(quote_ident(name))
            continue
        applied.append(rule)
        expression = rule_expression(rule, str(c["type"]), key)
        if expression is not None:
            parts.append(expression)
    if not parts:
        parts.append("NULL AS removed")  # every column dropped: keep the row count
    return f"SELECT {', '.join(parts)} FROM read_parquet({quote_literal(str(parquet))})", applied
