"""The SQL endpoint's guard: one read-only SELECT over dataset tables, checked with sqlglot, then run
in a fresh DuckDB connection with external access disabled and the configuration locked.

Defence in depth: sqlglot refuses anything but a single SELECT over known dataset tables using
allow-listed functions; DuckDB then runs the re-generated (checked) SQL with no file or network
access beyond the Parquet files of the referenced versions, a memory limit, a row cap and a timer
that interrupts long queries.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from publicdata.config import Settings
from publicdata.datastore.engine import spill_dir
from publicdata.datastore.model import Column, column_type_of, quote_ident, quote_literal
from publicdata.datastore.query import json_value


class SqlRefused(ValueError):
    def __init__(self, message_en: str, message_zh: str, **details: Any) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.details = details


# sqlglot's names (Func.sql_name()) of the functions a query may call.
ALLOWED_FUNCTIONS = frozenset(
    [
        "COUNT",
        "SUM",
        "AVG",
        "MIN",
        "MAX",
        "ROUND",
        "ABS",
        "CEIL",
        "FLOOR",
        "SQRT",
        "POWER",
        "POW",
        "LN",
        "LOG",
        "EXP",
        "MOD",
        "SIGN",
        "GREATEST",
        "LEAST",
        "LOWER",
        "UPPER",
        "LENGTH",
        "SUBSTRING",
        "TRIM",
        "CONCAT",
        "CONCAT_WS",
        "COALESCE",
        "NULLIF",
        "CAST",
        "TRY_CAST",
        "CASE",
        "IF",
        "TIME_TO_STR",
        "STR_TO_TIME",
        "STR_TO_DATE",
        "DATE_TRUNC",
        "TIMESTAMP_TRUNC",
        "EXTRACT",
        "YEAR",
        "MONTH",
        "DAY",
        "QUARTER",
        "WEEK",
        "DATE_DIFF",
        "DATE_ADD",
        "DATE_SUB",
        "DATEDIFF",
        "TS_OR_DS_TO_DATE",
        "CURRENT_DATE",
        "CURRENT_TIMESTAMP",
        "TO_DATE",
        "ROW_NUMBER",
        "RANK",
        "DENSE_RANK",
        "NTILE",
        "LAG",
        "LEAD",
        "FIRST_VALUE",
        "LAST_VALUE",
        "PERCENT_RANK",
        "CUME_DIST",
        "STDDEV",
        "STDDEV_POP",
        "STDDEV_SAMP",
        "VARIANCE",
        "VARIANCE_POP",
        "MEDIAN",
        "QUANTILE",
        "APPROX_DISTINCT",
        "APPROX_QUANTILE",
        "COUNT_IF",
        "COUNTIF",
        "ANY_VALUE",
        "MODE",
        "REGEXP_LIKE",
        "REGEXP_EXTRACT",
        "REGEXP_REPLACE",
        "STR_POSITION",
        "REPLACE",
        "LEFT",
        "RIGHT",
        "SPLIT",
        "ARRAY_AGG",
        "GROUP_CONCAT",
        "STRING_AGG",
        "LPAD",
        "RPAD",
        "REVERSE",
        "STARTS_WITH",
        "ENDS_WITH",
        "CONTAINS",
        "LIST_VALUE",
        "ARRAY",
        "ARRAY_SIZE",
        "ARRAY_LENGTH",
        "TO_CHAR",
        "LOGICAL_AND",
        "LOGICAL_OR",
        "BOOL_AND",
        "BOOL_OR",
        "INITCAP",
        "SAFE_DIVIDE",
        "DIV",
        "UNNEST",
        "EXPLODE",
        "ST_ASTEXT",
    ]
)
# Functions sqlglot does not know (parsed as Anonymous), by lower-case DuckDB name.
ALLOWED_ANONYMOUS = frozenset(
    [
        "strftime",
        "strptime",
        "date_part",
        "datepart",
        "contains",
        "starts_with",
        "ends_with",
        "prefix",
        "suffix",
        "string_split",
        "list_value",
        "array_length",
        "len",
        "char_length",
        "trunc",
        "round_even",
        "even",
        "isnan",
        "isinf",
        "approx_count_distinct",
        "approx_top_k",
        "arg_min",
        "arg_max",
        "argmin",
        "argmax",
        "histogram",
        "list",
        "bit_length",
    ]
)


@dataclass(frozen=True)
class CheckedSql:
    sql: str  # the re-generated statement that is executed
    tables: tuple[str, ...]  # referenced table names, lower case


def normalize_table(name: str) -> str:
    return name.lower().replace("-", "_")


def check_sql(text: str) -> CheckedSql:
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise SqlRefused(
            f"the SQL cannot be parsed: {str(exc).splitlines()[0][:200]}", "SQL 语句无法解析"
        ) from None
    if len(statements) != 1:
        raise SqlRefused("send exactly one statement", "只能提交一条语句", statements=len(statements))
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise SqlRefused(
            f"only SELECT is allowed ({type(tree).__name__.upper()} refused)",
            "只允许 SELECT 查询",
            statement=type(tree).__name__.lower(),
        )
    for node in tree.walk():
        if isinstance(node, exp.Into | exp.Command | exp.Pragma | exp.Set):
            raise SqlRefused("only plain SELECT is allowed", "只允许 SELECT 查询")
    ctes = {normalize_table(c.alias_or_name) for c in tree.find_all(exp.CTE)}
    tables: list[str] = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise SqlRefused("table functions are not allowed; query dataset tables", "不允许使用表函数")
        if table.args.get("db") or table.args.get("catalog"):
            raise SqlRefused(f"unknown table '{table.sql()}'", "不存在的表", table=table.sql())
        name = normalize_table(table.name)
        if name in ctes:
            continue
        if name not in tables:
            tables.append(name)
        # Point at the view of that name; keep the written name as the alias for qualified columns.
        original = table.name
        table.set("this", exp.to_identifier(name, quoted=True))
        if not table.alias and original != name:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(original, quoted=True)))
    for func in tree.find_all(exp.Func):
        if isinstance(func, exp.Anonymous):
            if str(func.name).lower() not in ALLOWED_ANONYMOUS:
                raise SqlRefused(
                    f"function '{func.name}' is not allowed", "不允许使用该函数", function=func.name
                )
        elif func.sql_name() not in ALLOWED_FUNCTIONS:
            raise SqlRefused(
                f"function '{func.sql_name().lower()}' is not allowed",
                "不允许使用该函数",
                function=func.sql_name(),
            )
    return CheckedSql(tree.sql(dialect="duckdb"), tuple(tables))


def referenced_columns(checked: CheckedSql) -> set[str]:
    """Lower-case names of the columns a checked query refers to, with "*" for a star; names the
    query itself defines as aliases are left out (used to refuse columns outside an access grant)."""
    tree = sqlglot.parse_one(checked.sql, read="duckdb")
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}
    aliases |= {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    names = {c.name.lower() for c in tree.find_all(exp.Column) if c.name} - aliases
    if any(isinstance(node, exp.Star) for node in tree.walk()):
        names.add("*")
    return names


@dataclass(frozen=True)
class TableSource:
    path: Path
    columns: Sequence[Column]


def run_sql(settings: Settings, checked: CheckedSql, sources: Mapping[str, TableSource]) -> dict[str, Any]:
    """Run checked SQL over views of the given tables (normalized name → version file)."""
    con = duckdb.connect(":memory:")
    timer = threading.Timer(settings.datastore_sql_timeout_seconds, con.interrupt)
    try:
        con.execute(f"SET temp_directory = {quote_literal(str(spill_dir(settings)))}")
        for name, source in sources.items():
            exprs = ", ".join(c.read_expression for c in source.columns)
            con.execute(
                f"CREATE VIEW {quote_ident(name)} AS SELECT {exprs} "
                f"FROM read_parquet({quote_literal(str(source.path))})"
            )
        paths = ", ".join(quote_literal(str(s.path)) for s in sources.values())
        con.execute(f"SET allowed_paths = [{paths}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        con.execute(f"SET memory_limit = {quote_literal(settings.duckdb_memory_limit)}")
        con.execute("SET lock_configuration = true")
        cap = settings.datastore_sql_max_rows
        timer.start()
        try:
            result = con.execute(f"SELECT * FROM ({checked.sql}) AS q LIMIT {cap + 1}")
            names = [d[0] for d in result.description or []]
            types = [str(d[1]) for d in result.description or []]
            rows = result.fetchall()
        except duckdb.InterruptException:
            raise SqlRefused(
                f"the query ran longer than {settings.datastore_sql_timeout_seconds:g} s",
                "查询超时",
                code="sql_timeout",
            ) from None
        except duckdb.Error as exc:
            raise SqlRefused(f"the query failed: {str(exc).splitlines()[0][:300]}", "查询执行失败") from None
    finally:
        timer.cancel()
        con.close()
    truncated = len(rows) > cap
    rows = rows[:cap]
    return {
        "fields": [{"name": n, "type": column_type_of(t).value} for n, t in zip(names, types, strict=True)],
        "records": [{n: json_value(v) for n, v in zip(names, row, strict=True)} for row in rows],
        "row_count": len(rows),
        "truncated": truncated,
    }
