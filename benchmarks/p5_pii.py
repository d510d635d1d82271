"""P5: personal-data scan of the benchmark file — ours vs Microsoft Presidio (regex recognizers, no NLP).

    python -m benchmarks.p5_pii --rows 100000            # generate, add PII columns, run both
    python -m benchmarks.p5_pii --rows 1000000 --presidio-rows 20000

The benchmark CSV (benchmarks/datagen.py: 13 columns, incl. credit codes and street addresses) gets four
PII columns with a known truth per cell (`add_pii_columns`): `id_number` (70 % valid resident IDs, 30 %
bad check digit / impossible date / unknown area), `phone` (50 % mobiles, 20 % landlines, 30 %
11-digit non-mobile numbers), `card_no` (60 % Luhn-valid UnionPay/Visa/Mastercard numbers, 40 % Luhn
failures) and `remark` (free text, a third with a mobile number inside, some with a 12x number).

- Ours: the file is read as the data store reads it (readers → Parquet, not timed: that is P1) and
  scanned with `privacy.scan.scan_parquet` (every registered detector: one DuckDB query per column;
  resident IDs,
  mobiles and bank cards validated in SQL, the others in Python on the candidates). Accuracy for
  resident_id / mobile / bank_card from `detect_cells` (the same steps, per cell).
- Presidio: `presidio_analyzer.PatternRecognizer`s with the same regular expressions and the same
  validations (mod-11 check digit and birth date; allocated mobile prefixes; prefix + Luhn + not
  ID-shaped), `analyze(cell)` called per cell and recognizer, no NLP engine — over the first
  `presidio_rows` rows (every column as text), in the peers' virtualenv.

Throughput is cells per second (rows × all 17 columns) for both, ours with every registered detector and with
the same 3 as Presidio; the target is ≥ 100× Presidio's (same detectors) at recall and precision ≥ 0.99.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from publicdata.datastore import readers
from publicdata.datastore.ingest import describe_parquet
from publicdata.datastore.model import quote_literal
from publicdata.privacy import groundtruth
from publicdata.privacy.model import detector, detectors
from publicdata.privacy.scan import detect_cells, scan_parquet

TARGET_RATIO = 100.0
COMPARED = ("resident_id", "mobile", "bank_card")
PII_COLUMNS = ("id_number", "phone", "card_no", "remark")
Truth = dict[str, list[str | None]]


def add_pii_columns(csv_path: Path, out: Path, *, seed: int = 5) -> tuple[Truth, int, int]:
    """Copy the benchmark CSV with four PII columns appended; (truth per PII column, rows, columns)."""
    rng = random.Random(seed)
    truth: Truth = {c: [] for c in PII_COLUMNS}
    rows = 0
    with (
        open(csv_path, encoding="utf-8", newline="") as src,
        open(out, "w", encoding="utf-8", newline="") as dst,
    ):
        reader = csv.reader(src)
        writer = csv.writer(dst)
        header = next(reader)
        writer.writerow([*header, *PII_COLUMNS])
        for row in reader:
            roll = rng.random()
            if roll < 0.7:
                id_value, id_kind = groundtruth.resident_id(rng), "resident_id"
            else:
                id_value, id_kind = groundtruth.bad_resident_id(rng), None
            roll = rng.random()
            if roll < 0.5:
                phone, phone_kind = groundtruth.mobile(rng), "mobile"
            elif roll < 0.7:
                phone, phone_kind = groundtruth.landline(rng), None
            else:
                phone, phone_kind = groundtruth.bad_mobile(rng), None
            if rng.random() < 0.6:
                card, card_kind = groundtruth.bank_card(rng), "bank_card"
            else:
                card, card_kind = groundtruth.bad_bank_card(rng), None
            roll = rng.random()
            if roll < 0.33:
                remark, remark_kind = f"联系人手机{groundtruth.mobile(rng)}，工作日联系", "mobile"
            elif roll < 0.45:
                remark, remark_kind = f"受理编号{groundtruth.bad_mobile(rng)}", None
            else:
                remark, remark_kind = "材料齐全，已受理", None
            writer.writerow([*row, id_value, phone, card, remark])
            for column, kind in zip(PII_COLUMNS, (id_kind, phone_kind, card_kind, remark_kind), strict=True):
                truth[column].append(kind)
            rows += 1
    return truth, rows, len(header) + len(PII_COLUMNS)


def to_parquet(
    con: duckdb.DuckDBPyConnection, csv_path: Path, out: Path
) -> tuple[Path, list[dict[str, Any]]]:
    """The file as the data store stores it (sniffed types, VARCHAR where unsure)."""
    source = readers.csv_source(con, csv_path, fmt="csv", encoding="utf-8", text_columns=set(), temp_files=[])
    select_sql, _types = readers.normalize_select(con, source)
    con.execute(f"COPY ({select_sql}) TO {quote_literal(str(out))} (FORMAT parquet)")
    return out, describe_parquet(con, out)


def _accuracy(found: set[tuple[str, int]], expected: set[tuple[str, int]]) -> dict[str, float]:
    tp = len(found & expected)
    return {
        "recall": round(tp / len(expected), 5) if expected else 1.0,
        "precision": round(tp / len(found), 5) if found else 1.0,
        "expected": len(expected),
        "found": len(found),
    }


def _expected(truth: Truth, kind: str, rows: int | None = None) -> set[tuple[str, int]]:
    return {(c, i) for c, cells in truth.items() for i, k in enumerate(cells[:rows]) if k == kind}


PRESIDIO_SCRIPT = r"""
import csv, datetime, json, re, sys, time
from presidio_analyzer import Pattern, PatternRecognizer

path, limit = sys.argv[1], int(sys.argv[2])
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

def ric_ok(s):
    s = s.upper()
    if len(s) != 18 or not s[:17].isdigit():
        return False
    check = "10X98765432"[sum(int(c) * w for c, w in zip(s, WEIGHTS)) % 11]
    if check != s[17]:
        return False
    try:
        born = datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return datetime.date(1900, 1, 1) <= born <= datetime.date.today()

def luhn_ok(d):
    total = 0
    for i, c in enumerate(reversed(d)):
        n = int(c) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0

def card_ok(s):
    d = re.sub(r"[ -]", "", s)
    if not d.isdigit() or not 16 <= len(d) <= 19:
        return False
    if not (d.startswith(("62", "4")) or 51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720):
        return False
    if len(d) == 18 and d[6:8] in ("18", "19", "20"):
        return False
    return luhn_ok(d)

class Ric(PatternRecognizer):
    def validate_result(self, pattern_text):
        return ric_ok(pattern_text)

class Card(PatternRecognizer):
    def validate_result(self, pattern_text):
        return card_ok(pattern_text)

MOBILE = (r"(?<![0-9])(?:\+?86[ -]?)?1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"
          r"[ -]?\d{4}[ -]?\d{4}(?![0-9Xx])")
recognizers = [
    Ric(supported_entity="CN_RESIDENT_ID", patterns=[Pattern("ric",
        r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}[01]\d[0-3]\d{4}[\dXx](?![0-9A-Za-z])", 0.5)]),
    PatternRecognizer(supported_entity="CN_MOBILE", patterns=[Pattern("mobile", MOBILE, 0.6)]),
    Card(supported_entity="CN_BANK_CARD", patterns=[Pattern("card",
        r"(?<![0-9A-Za-z])[2-6]\d{3}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?![0-9A-Za-z])", 0.5)]),
]
names = {"CN_RESIDENT_ID": "resident_id", "CN_MOBILE": "mobile", "CN_BANK_CARD": "bank_card"}
with open(path, encoding="utf-8", newline="") as handle:
    reader = csv.reader(handle)
    header = next(reader)
    rows = [row for _, row in zip(range(limit), reader)]
hits = []
started = time.perf_counter()
for r, row in enumerate(rows):
    for c, cell in enumerate(row):
        for rec in recognizers:
            entity = rec.supported_entities[0]
            if any(x.score > 0 for x in rec.analyze(cell, [entity], None)):
                hits.append([header[c], r, names[entity]])
elapsed = time.perf_counter() - started
import importlib.metadata as m
print(json.dumps({"seconds": elapsed, "rows": len(rows), "columns": len(header), "hits": hits,
                  "version": m.version("presidio-analyzer")}))
"""


def run_presidio(peers_python: Path, csv_path: Path, rows: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(PRESIDIO_SCRIPT)
        script = handle.name
    try:
        done = subprocess.run(
            [str(peers_python), script, str(csv_path), str(rows)], capture_output=True, text=True, check=True
        )
    finally:
        Path(script).unlink(missing_ok=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_p5(
    csv_path: Path,
    peers_python: Path,
    log: Callable[[str], None] = print,
    *,
    presidio_rows: int = 20_000,
    repeats: int = 3,
) -> dict[str, Any]:
    """Scan `csv_path` (the benchmark CSV) plus PII columns with ours and Presidio, each `repeats` times
    (medians: both sides' speeds vary by tens of percent from run to run); figures as a dict."""
    with tempfile.TemporaryDirectory(prefix="p5-") as tmp:
        work = Path(tmp)
        log("P5: adding PII columns ...")
        pii_csv = work / "pii.csv"
        truth, rows, columns = add_pii_columns(csv_path, pii_csv)
        con = duckdb.connect()
        parquet, described = to_parquet(con, pii_csv, work / "pii.parquet")
        log(f"P5: ours: scanning {rows:,} rows × {columns} columns ...")
        all_runs: list[float] = []
        same_runs: list[float] = []
        for _ in range(repeats):
            started = time.perf_counter()
            report = scan_parquet(con, parquet, described)
            all_runs.append(time.perf_counter() - started)
            started = time.perf_counter()
            scan_parquet(con, parquet, described, only=COMPARED)
            same_runs.append(time.perf_counter() - started)
        ours_seconds, same_seconds = statistics.median(all_runs), statistics.median(same_runs)
        ours_accuracy: dict[str, Any] = {}
        ours_subset: dict[str, Any] = {}
        limit = min(presidio_rows, rows)
        for name in COMPARED:
            found = detect_cells(con, parquet, described, detector(name))
            ours_accuracy[name] = _accuracy(found, _expected(truth, name))
            subset = {(c, r) for c, r in found if r < limit}
            ours_subset[name] = _accuracy(subset, _expected(truth, name, limit))
        con.close()
        log(f"P5: Presidio: {limit:,} rows × {repeats} runs ...")
        peer_runs = [run_presidio(peers_python, pii_csv, limit) for _ in range(repeats)]
        peer = sorted(peer_runs, key=lambda run: float(run["seconds"]))[len(peer_runs) // 2]  # the median run
    peer_found: dict[str, set[tuple[str, int]]] = {n: set() for n in COMPARED}
    for column, row, name in peer["hits"]:
        peer_found[name].add((column, int(row)))
    peer_accuracy = {n: _accuracy(peer_found[n], _expected(truth, n, limit)) for n in COMPARED}
    ours_rate = rows * columns / ours_seconds
    same_rate = rows * columns / same_seconds
    peer_rate = peer["rows"] * peer["columns"] / peer["seconds"]
    ratio = ours_rate / peer_rate
    same_ratio = same_rate / peer_rate
    worst = min(min(a["recall"], a["precision"]) for a in ours_accuracy.values())
    result = {
        "rows": rows,
        "columns": columns,
        "ours": {
            "seconds": round(ours_seconds, 3),
            "cells_per_second": round(ours_rate),
            "detectors": len(report["detectors"]),
            "same_detectors_seconds": round(same_seconds, 3),
            "same_detectors_cells_per_second": round(same_rate),
            "runs_seconds": [round(x, 3) for x in all_runs],
            "same_detectors_runs_seconds": [round(x, 3) for x in same_runs],
            "accuracy": ours_accuracy,
            "accuracy_on_presidio_rows": ours_subset,
        },
        "presidio": {
            "version": peer["version"],
            "rows": peer["rows"],
            "seconds": round(peer["seconds"], 3),
            "cells_per_second": round(peer_rate),
            "runs_seconds": [round(float(run["seconds"]), 3) for run in peer_runs],
            "recognizers": len(COMPARED),
            "accuracy": peer_accuracy,
        },
        "ratio": round(ratio, 1),
        "ratio_same_detectors": round(same_ratio, 1),
        "target_ratio": TARGET_RATIO,
        "met": same_ratio >= TARGET_RATIO and worst >= 0.99,
    }
    log(
        f"P5: ours {ours_rate:,.0f} cells/s ({ours_seconds:.1f} s, {len(report['detectors'])} detectors), "
        f"the same 3 only {same_rate:,.0f} cells/s; Presidio {peer_rate:,.0f} cells/s "
        f"({len(COMPARED)} recognizers) → {ratio:,.0f}× (all {len(detectors())}) / "
        f"{same_ratio:,.0f}× (same 3)"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    from benchmarks import datagen, peers

    parser = argparse.ArgumentParser(prog="python -m benchmarks.p5_pii", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--presidio-rows", type=int, default=20_000)
    parser.add_argument("--peers-python", type=Path, default=None, help="python with presidio-analyzer")
    args = parser.parse_args(argv)
    work = Path(__file__).resolve().parent / ".work"
    generated = datagen.ensure(work, args.rows)
    peers_python = args.peers_python or peers.peers_venv(work) / "bin" / "python"
    result = run_p5(generated.path, peers_python, presidio_rows=args.presidio_rows)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
