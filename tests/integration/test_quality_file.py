"""`publicdata quality FILE`: the report of a local GBK file (QUA-1)."""

from __future__ import annotations

import json
from pathlib import Path

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
