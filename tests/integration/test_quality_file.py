"""`publicdata quality FILE`: the report of a local GBK file (QUA-1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from publicdata.cli import app


@pytest.mark.req("QUA-1")
def test_cli_reports_a_gbk_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLICDATA_VAR_DIR", str(tmp_path / "var"))
    data = "编号,名称,district_code,amount\n1,甲,310101,5\n2,乙,319999,x\n2,乙,319999,x\n3,,310115,7\n"
    path = tmp_path / "数据.csv"
    path.write_bytes(data.encode("gbk"))
    result = CliRunner().invoke(app, ["quality", str(path), "--key", "编号", "--declared", "amount=integer"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["encoding"] == "gb18030" and report["row_count"] == 4
    assert report["counts"] == {
        "duplicate_rows": 1,
        "duplicate_keys": 1,
        "type_errors": 2,
        "inconsistent_codes": 2,
        "empty_values": 1,
    }
    assert report["score"] < 100
    bad = CliRunner().invoke(app, ["quality", str(path), "--declared", "amount"])
    assert bad.exit_code != 0


@pytest.mark.req("QUA-1")
def test_vectorized_identifier_checks_agree_with_python_stdnum() -> None:
    import random

    import duckdb
    from benchmarks.datagen import credit_codes

    from publicdata.quality.checks import identifier_valid_sql
    from publicdata.quality.model import IdentifierKind, identifier_valid
    from tests.helpers import valid_resident_id

    rnd = random.Random(5)
    codes = credit_codes(300)
    codes += [c[:-1] + rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for c in codes] + ["ABC", "9131011"]
    ids = [
        valid_resident_id(
            f"{area}{rnd.randint(1940, 2020)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}001"
        )
        for area in ("310115", "110101", "440301", "990101")
        for _ in range(100)
    ]
    ids += [i[:-1] + rnd.choice("0123456789X") for i in ids] + ["310115199013071239", "1234"]
    con = duckdb.connect()
    for kind, values in ((IdentifierKind.CREDIT_CODE, codes), (IdentifierKind.RESIDENT_ID, ids)):
        sql = identifier_valid_sql(kind, "v")
        got = [
            bool(r[0])
            for r in con.execute(
                f"SELECT {sql} FROM (SELECT unnest($1) AS v, generate_subscripts($1, 1) AS i) ORDER BY i",
                [values],
            ).fetchall()
        ]
        expected = [identifier_valid(kind, v) for v in values]
        assert got == expected, kind
        assert 0 < sum(expected) < len(values)


def _declared() -> dict[str, Any]:
    from publicdata.catalog.model import FieldType
    from tests.e2e.test_quality_api import FIELDS

    return {f["name"]: FieldType(f["type"]) for f in FIELDS}


def _version_report(settings: Any, path: Path, folder: Path, inp: Any) -> dict[str, Any]:
    """The report of the file's Parquet version, as the version pipeline checks an upload."""
    from publicdata.datastore.engine import new_connection
    from publicdata.datastore.model import quote_literal
    from publicdata.quality.checks import run_checks
    from publicdata.quality.service import read_like_upload

    con = new_connection(settings)
    parquet = folder / "version.parquet"
    read_like_upload(
        settings,
        con,
        path,
        folder,
        inp.declared,
        lambda rows: con.execute(
            f"COPY (SELECT * FROM {rows}) TO {quote_literal(str(parquet))} (FORMAT parquet)"
        ),
    )
    try:
        return run_checks(con, parquet, inp).as_dict()
    finally:
        con.close()


@pytest.mark.req("QUA-1")
@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("configured_key", [True, False])
def test_file_report_reads_the_file_once_and_equals_the_version_report(
    tmp_path: Path, encoding: str, configured_key: bool
) -> None:
    """check_file scans the text itself (no Parquet copy) and looks up examples in a numbered copy made
    only when something was found: every finding, count and example row equals the version's report."""
    from publicdata.config import Settings
    from publicdata.quality.checks import CheckInput
    from publicdata.quality.model import parse_constraints
    from publicdata.quality.service import check_file
    from tests.e2e.test_quality_api import SEEDED_FINDINGS, csv_bytes, defective_rows

    path = tmp_path / "defects.csv"
    path.write_bytes(csv_bytes(defective_rows()).decode().encode(encoding))
    settings = Settings(var_dir=tmp_path / "var")
    key = ["record_id"] if configured_key else None
    report = check_file(
        settings, path, key_columns=key, declared=_declared(), constraints={"amount": {"max": 1000}}
    )
    constraints, _problems = parse_constraints({"amount": {"max": 1000}})
    inp = CheckInput(declared=_declared(), key_columns=key, constraints=constraints)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert report["findings"] == _version_report(settings, path, scratch, inp)["findings"]
    found = {
        (f["check"], f["column"]): (f["count"], [e["row"] for e in f["examples"]]) for f in report["findings"]
    }
    assert found == SEEDED_FINDINGS
    assert report["row_count"] == 23 and report["encoding"] == ("utf-8" if encoding == "utf-8" else "gb18030")


@pytest.mark.req("QUA-1")
def test_file_report_survives_a_late_value_that_breaks_the_sniffed_type(tmp_path: Path) -> None:
    """The sniffer sees the first rows only; a text value far down an integer column fails the scan,
    which demotes the column to text and scans again, as the ingest does — and reports the type error."""
    from publicdata.catalog.model import FieldType
    from publicdata.config import Settings
    from publicdata.quality.service import check_file

    lines = ["id,amount,district_code"]
    lines += [f"{i},{i % 97},310115" for i in range(1, 60_001)]
    lines[45_000] = "45000,n/a,310115"
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n")
    report = check_file(Settings(var_dir=tmp_path / "var"), path, declared={"amount": FieldType.INTEGER})
    assert report["row_count"] == 60_000
    errors = [f for f in report["findings"] if f["check"] == "type_errors"]
    assert [(f["column"], f["count"], f["examples"]) for f in errors] == [
        ("amount", 1, [{"row": 45_000, "value": "n/a"}])
    ]
    assert report["counts"] == {"type_errors": 1}
