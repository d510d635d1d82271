"""The benchmark harness's support code: the data generator and the report writer (no timings here)."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from benchmarks import datagen
from benchmarks.loadclient import percentile
from benchmarks.report import Measurement, Report, Target, machine_info, ratio_target, speed_ratio
from stdnum.cn import uscc

from publicdata.reference.divisions import shanghai_districts


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = datagen.generate(tmp_path / "a.csv", 3000)
    second = datagen.generate(tmp_path / "b.csv", 3000)
    assert first.rows == 3000
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    # A longer file starts with the same rows: every value depends on the row number only.
    longer = datagen.generate(tmp_path / "c.csv", 3500)
    assert _rows(longer.path)[:3000] == _rows(second.path)


def test_generated_rows_are_valid(tmp_path: Path) -> None:
    rows = _rows(datagen.generate(tmp_path / "x.csv", 5000).path)
    assert len(rows) == 5000
    assert tuple(rows[0]) == datagen.COLUMNS
    districts = {d.code: d.name for d in shanghai_districts()}
    assert [int(r["id"]) for r in rows] == list(range(1, 5001))
    for r in rows:
        assert uscc.is_valid(r["credit_code"]), r["credit_code"]
        assert districts[r["district_code"]] == r["district_name"]
        assert r["address"].startswith("上海市" + r["district_name"])
        assert "有限" in r["enterprise_name"] or "合伙" in r["enterprise_name"]
        assert date(2015, 1, 1) <= date.fromisoformat(r["record_date"]) <= date(2025, 1, 1)
        datetime.fromisoformat(r["updated_at"])
        assert Decimal(r["amount"]).as_tuple().exponent >= -2
        assert 0 <= int(r["quantity"]) < 5000
        assert 0 <= float(r["rate"]) < 1
        assert r["is_active"] in {"true", "false"}
    # The data is spread: every district and many distinct credit codes occur.
    assert {r["district_code"] for r in rows} == set(districts)
    assert len({r["credit_code"] for r in rows}) > 4000


def test_credit_code_pool_is_valid_and_distinct() -> None:
    codes = datagen.credit_codes()
    assert len(codes) == len(set(codes)) == datagen.CREDIT_CODE_POOL
    assert all(uscc.is_valid(c) and len(c) == 18 for c in codes)
    assert {c[2:8] for c in codes} == {d.code for d in shanghai_districts()}


def test_ensure_reuses_the_generated_file(tmp_path: Path) -> None:
    made = datagen.ensure(tmp_path, 100)
    again = datagen.ensure(tmp_path, 100)
    assert made.path == again.path and again.seconds == 0.0
    assert len(_rows(again.path)) == 100


def test_ratios_are_speedups_of_ours() -> None:
    ours = Measurement("P1 ingest", "ours", "s", runs=[2.0, 9.0, 3.0])
    peer = Measurement("P1 ingest", "peer", "s", runs=[6.0, 6.0, 6.0])
    assert ours.value == 3.0  # the median, not the mean
    assert speed_ratio(ours, peer) == (2.0, "")
    rate_ours = Measurement("P2 query", "ours", "req/s", runs=[300.0])
    rate_peer = Measurement("P2 query", "peer", "req/s", runs=[100.0])
    assert speed_ratio(rate_ours, rate_peer) == (3.0, "")
    target = ratio_target("P1", "ours vs peer", ours, peer, 3)
    assert target.met is False
    assert target.cells()[2:] == ["2.00×", "≥ 3×", "**no**"]


def test_missing_measurements_are_reported_not_raised(tmp_path: Path) -> None:
    report = Report(title="bench", machine=machine_info({"duckdb": "1.0"}), settings={"rows": "10"})
    ours = report.add(Measurement.missing("P1 ingest", "ours", "s", "data store not there yet"))
    peer = report.add(Measurement("P1 ingest", "DuckDB raw", "s", runs=[1.5]))
    report.targets.append(ratio_target("P1", "ours vs DuckDB raw", ours, peer, 0.5))
    report.targets.append(Target("P2", "our p99", 12.5, 30, "max", "ms"))
    report.targets.append(Target("P4", "server RSS", 400.0, 300, "max", "MB"))
    report.notes.append("a note | with a pipe")
    path = tmp_path / "results" / "latest.md"
    report.write(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# bench\n")
    assert "| P1 ingest | ours | not available: data store not there yet |" in text
    assert "| P1 ingest | DuckDB raw | 1.50 s | 1.50 |" in text
    assert "| P1 | ours vs DuckDB raw | — | ≥ 0.5× | n/a (data store not there yet) |" in text
    assert "| P2 | our p99 | 12.5 ms | ≤ 30 ms | yes |" in text
    assert "| P4 | server RSS | 400 MB | ≤ 300 MB | **no** |" in text
    assert "| duckdb | 1.0 |" in text and "| CPU |" in text and "| Python |" in text
    assert report.find("P1 ingest", "DuckDB raw") is peer


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
