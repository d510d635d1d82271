"""The personal-data scan on real DuckDB / Parquet: ground-truth accuracy per detector (UTF-8 and GBK),
the CLI, and the desensitization expressions (SEC-4, SEC-2, QUA-2)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from publicdata.cli import app
from publicdata.config import Settings
from publicdata.datastore.ingest import describe_parquet
from publicdata.datastore.model import quote_literal
from publicdata.privacy import groundtruth
from publicdata.privacy.desensitize import desensitize_select, pseudonym, pseudonym_key
from publicdata.privacy.model import detectors, parse_rules
from publicdata.privacy.scan import detect_cells, scan_file, scan_parquet

ROWS = 3000


@pytest.fixture(scope="module")
def truth() -> groundtruth.GroundTruth:
    return groundtruth.generate(ROWS)


@pytest.fixture(scope="module")
def parquet(truth: groundtruth.GroundTruth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gt")
    csv = truth.write(folder / "gt.csv")
    out = folder / "gt.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv({quote_literal(str(csv))}, all_varchar = true)) "
        f"TO {quote_literal(str(out))} (FORMAT parquet)"
    )
    return out


@pytest.mark.req("SEC-4")
def test_every_detector_has_recall_and_precision_of_at_least_99_percent(
    truth: groundtruth.GroundTruth, parquet: Path
) -> None:
    con = duckdb.connect()
    columns = describe_parquet(con, parquet)
    measured = {}
    for det in detectors():
        expected = truth.expected(det.name)
        found = detect_cells(con, parquet, columns, det)
        assert len(expected) >= 300, det.name  # enough cases for the ratio to mean something
        true_positives = len(found & expected)
        measured[det.name] = (true_positives / len(expected), true_positives / max(1, len(found)))
    assert set(measured) >= {
        "resident_id", "mobile", "landline", "credit_code", "bank_card", "email", "passport",
        "vehicle_plate", "ipv4", "ipv6", "address", "person_name",
    }  # fmt: skip
    low = {name: m for name, m in measured.items() if m[0] < 0.99 or m[1] < 0.99}
    assert low == {}


@pytest.mark.req("SEC-4")
def test_near_miss_traps_are_not_reported(tmp_path: Path) -> None:
    """Bad-checksum IDs, impossible birth dates, 11-digit non-mobile numbers, Luhn failures."""
    import random

    rng = random.Random(7)
    traps = {
        "ids": [groundtruth.bad_resident_id(rng) for _ in range(200)],
        "phones": [groundtruth.bad_mobile(rng) for _ in range(200)],
        "cards": [groundtruth.bad_bank_card(rng) for _ in range(200)],
        "codes": [groundtruth.bad_credit_code(rng) for _ in range(200)],
    }
    csv = tmp_path / "traps.csv"
    csv.write_text(
        "ids,phones,cards,codes\n"
        + "".join(f"{a},{b},{c},{d}\n" for a, b, c, d in zip(*traps.values(), strict=True))
    )
    report = scan_file(csv)
    assert report["rows"] == 200
    assert report["findings"] == [] and report["blocking"] == []


@pytest.mark.req("SEC-4")
def test_codes_that_pass_a_check_digit_by_chance_are_not_ids(tmp_path: Path) -> None:
    """Permit numbers built from an area code and a date pass the ID check digit 1 time in 11."""
    con = duckdb.connect()
    out = tmp_path / "permits.parquet"
    con.execute(
        "COPY (SELECT '310101' || strftime(DATE '2020-01-01' + CAST(i AS INTEGER), '%Y%m%d') || "
        "lpad(CAST(i % 10000 AS VARCHAR), 4, '0') AS permit_number FROM range(2000) t(i)) "
        f"TO {quote_literal(str(out))}"
    )
    report = scan_parquet(con, out, describe_parquet(con, out))
    assert [f["detector"] for f in report["findings"]] == []


@pytest.mark.req("SEC-4")
def test_gbk_file_scan_and_cli(truth: groundtruth.GroundTruth, tmp_path: Path) -> None:
    gbk = truth.write(tmp_path / "人员.csv", encoding="gbk")
    report = scan_file(gbk)
    assert report["encoding"] in ("gb18030", "gbk") and report["rows"] == ROWS
    hits = {(f["column"], f["detector"]): f["hits"] for f in report["findings"]}
    assert hits[("证件号码", "resident_id")] == truth.truth["证件号码"].count("resident_id")
    assert hits[("联系电话", "mobile")] == truth.truth["联系电话"].count("mobile")
    assert hits[("姓名", "person_name")] == truth.truth["姓名"].count("person_name")
    result = CliRunner().invoke(app, ["scan", str(gbk)])
    assert result.exit_code == 1  # personal data would block publication
    printed = json.loads(result.stdout)
    assert {b["column"] for b in printed["blocking"]} >= {"证件号码", "联系电话", "姓名"}
    raw_ids = [row[3] for row, kind in zip(truth.rows, truth.truth["证件号码"], strict=True) if kind]
    assert not any(value in result.stdout for value in raw_ids[:200])
    clean = tmp_path / "clean.csv"
    clean.write_text(
        "名称,电话\n市民服务热线,021-12345678\n黄浦区行政服务中心,021-63291234\n", encoding="gbk"
    )
    quiet = CliRunner().invoke(app, ["scan", str(clean)])
    assert quiet.exit_code == 0, quiet.stdout
    assert [(f["column"], f["detector"], f["personal"]) for f in json.loads(quiet.stdout)["findings"]] == [
        ("电话", "landline", False)
    ]


@pytest.mark.req("SEC-2", "QUA-2")
def test_desensitization_expressions(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    key = pseudonym_key(settings)
    assert key == pseudonym_key(Settings(var_dir=tmp_path / "var"))  # stable: persisted key
    con = duckdb.connect()
    raw = tmp_path / "raw.parquet"
    con.execute(
        "COPY (SELECT * FROM (VALUES "
        "('310101198503011234', '13912345678', DATE '1985-03-01', 47, '上海市徐汇区漕溪北路100号', "
        "121.473701, '19850301'),"
        "('11010119900307002X', NULL, DATE '1990-03-07', 9, '310115', 31.230416, '1990-03-07')"
        ") t(id_number, mobile, birth, age, address, lon, birth_text)) TO " + quote_literal(str(raw))
    )
    columns = describe_parquet(con, raw)
    rules = parse_rules(
        [
            {"column": "id_number", "kind": "mask", "keep_first": 3, "keep_last": 4},
            {"column": "mobile", "kind": "pseudonym"},
            {"column": "birth", "kind": "generalize", "to": "year"},
            {"column": "age", "kind": "generalize", "to": "age_band"},
            {"column": "address", "kind": "generalize", "to": "district"},
            {"column": "lon", "kind": "generalize", "to": "grid", "decimals": 2},
            {"column": "birth_text", "kind": "truncate", "length": 4},
            {"column": "not_there", "kind": "drop"},
        ]
    )
    select_sql, applied = desensitize_select(raw, columns, rules, key)
    assert [r.column for r in applied] == [
        "id_number",
        "mobile",
        "birth",
        "age",
        "address",
        "lon",
        "birth_text",
    ]
    rows = con.execute(select_sql).fetchall()
    assert rows[0] == (
        "310***********1234",
        pseudonym(key, "13912345678"),
        1985,
        "40-49",
        "徐汇区",
        121.47,
        "1985",
    )
    assert rows[1] == ("110***********002X", None, 1990, "0-9", "浦东新区", 31.23, "1990")
    dropped, _ = desensitize_select(raw, columns, parse_rules([{"column": "mobile", "kind": "drop"}]), key)
    assert [d[0] for d in con.execute(f"DESCRIBE {dropped}").fetchall()] == [
        "id_number",
        "birth",
        "age",
        "address",
        "lon",
        "birth_text",
    ]
    year_text, _ = desensitize_select(
        raw, columns, parse_rules([{"column": "birth_text", "kind": "generalize", "to": "year"}]), key
    )
    assert [r[-1] for r in con.execute(year_text).fetchall()] == [1985, 1990]


@pytest.mark.req("SEC-4")
def test_sql_validators_agree_with_the_python_validators(parquet: Path) -> None:
    con = duckdb.connect()
    columns = describe_parquet(con, parquet)
    with_sql = [det for det in detectors() if det.sql_validate is not None]
    assert {det.name for det in with_sql} >= {"resident_id", "mobile", "address"}
    for det in with_sql:
        in_sql = detect_cells(con, parquet, columns, det, use_sql=True)
        in_python = detect_cells(con, parquet, columns, det, use_sql=False)
        assert len(in_sql) > 300 and in_sql == in_python, det.name


@pytest.mark.req("SEC-4")
def test_non_personal_findings_are_estimated_from_a_sample_personal_ones_never(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publicdata.privacy import scan as scanning
    from tests.helpers import valid_credit_code, valid_resident_id

    monkeypatch.setattr(scanning, "NON_PERSONAL_SAMPLE", 100)
    monkeypatch.setattr(scanning, "BATCH", 50)
    rows = [
        (valid_credit_code(f"91310115{n:09d}"), valid_resident_id(f"31011519900307{n % 1000:03d}"))
        for n in range(3000)
    ]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (company_code VARCHAR, id_number VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [list(r) for r in rows])
    path = tmp_path / "v.parquet"
    con.execute(f"COPY t TO {quote_literal(str(path))} (FORMAT parquet)")
    report = scan_parquet(con, path, describe_parquet(con, path))
    found = {f["detector"]: f for f in report["findings"]}
    assert found["credit_code"]["estimated"] is True and found["credit_code"]["hits"] == 3000
    assert found["resident_id"]["estimated"] is False and found["resident_id"]["hits"] == 3000
    assert report["blocking"] and report["blocking"][0]["column"] == "id_number"


@pytest.mark.req("SEC-4")
def test_sql_bank_card_check_agrees_with_python_on_near_misses() -> None:
    """18-digit numbers: resident-ID-shaped and all-digit credit codes are not cards; Luhn failures."""
    import random

    from stdnum import luhn

    from publicdata.privacy.detectors import bank_card_key, bank_card_sql, is_bank_card
    from tests.helpers import valid_credit_code, valid_resident_id

    rng = random.Random(11)
    values = [groundtruth.bank_card(rng) for _ in range(300)] + [
        groundtruth.bad_bank_card(rng) for _ in range(300)
    ]
    for _ in range(300):
        body = rng.choice(("62", "4", "51", "2720", "2221", "2220", "56", "3"))
        body += "".join(rng.choice("0123456789") for _ in range(rng.choice((15, 16, 17, 18)) - len(body)))
        values.append(body + luhn.calc_check_digit(body))
        shaped = rng.choice(("310115", "440301", "620102", "411201")) + rng.choice(("18", "19", "20", "21"))
        shaped += "".join(rng.choice("0123456789") for _ in range(9))
        values.append(shaped + luhn.calc_check_digit(shaped))
        values.append(valid_resident_id(f"62010219{rng.randint(10, 99)}0307{rng.randint(100, 999)}"))
        values.append(
            valid_credit_code(
                # registry codes with a card prefix (62, 4x, 5x) and an NBS area: the credit-code exclusion
                rng.choice(("62", "41", "52"))
                + rng.choice(("310115", "440301"))
                + f"{rng.randint(0, 10**9 - 1):09d}"
            )
        )
    values += [v[:4] + " " + v[4:8] + "-" + v[8:] for v in values[:200]]
    sql = f"SELECT {bank_card_sql('k')} FROM (SELECT {bank_card_key('x')} AS k, i FROM "
    sql += "(SELECT unnest($1) AS x, generate_subscripts($1, 1) AS i)) ORDER BY i"
    got = [bool(r[0]) for r in duckdb.connect().execute(sql, [values]).fetchall()]
    expected = [is_bank_card(v) for v in values]
    assert got == expected
    assert 300 < sum(expected) < len(values) - 300


@pytest.mark.req("SEC-4")
def test_whole_value_candidates_are_their_own_extraction(
    truth: groundtruth.GroundTruth, parquet: Path
) -> None:
    """A value matching a detector's `value_pattern` is exactly one candidate of its `pattern`; the
    scan counts such values without extracting, and its hits equal the per-cell Python validation."""
    con = duckdb.connect()
    columns = describe_parquet(con, parquet)
    whole = [d for d in detectors() if d.value_pattern is not None]
    assert {d.name for d in whole} >= {"resident_id", "mobile", "bank_card"}
    source = f"read_parquet({quote_literal(str(parquet))})"
    for det in whole:
        for c in columns:
            ident = '"' + str(c["name"]) + '"'
            bad = con.execute(
                f"SELECT count(*) FROM {source} WHERE regexp_full_match(CAST({ident} AS VARCHAR), "
                f"{quote_literal(det.value_pattern or '')}) AND regexp_extract_all(CAST({ident} AS VARCHAR), "
                f"{quote_literal(det.pattern)}, 1) <> [CAST({ident} AS VARCHAR)]"
            ).fetchone()
            assert bad == (0,), (det.name, c["name"])
    report = scan_parquet(con, parquet, columns, only=[d.name for d in whole])
    hits = {(f["column"], f["detector"]): f["hits"] for f in report["findings"]}
    for det in whole:
        cells = detect_cells(con, parquet, columns, det, use_sql=False)
        per_column: dict[str, int] = {}
        for column, _row in cells:
            per_column[column] = per_column.get(column, 0) + 1
        assert per_column and {k: v for (k, d), v in hits.items() if d == det.name} == per_column, det.name
