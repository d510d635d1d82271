"""P6: our quality checks vs `frictionless validate` on the same benchmark CSV (issue 5; target ≥ 50×).

Ours: `publicdata.quality.service.check_file` — reads the CSV like an upload (encoding, type sniffing)
and runs every check in one aggregate scan of the file (empty values and rows, duplicate rows and
keys, declared types, identifiers, division codes).
Frictionless: `frictionless validate --json FILE` in the peers' virtualenv (subprocess), which checks
types row by row in Python. Ours and DuckDB's raw CSV→Parquet (the calibration: reading this file at
all) three times each, frictionless once; seconds and the ratios (how many times faster ours is).

Standalone: `.venv/bin/python -m benchmarks.p6_quality [--rows N] [--peers-python PATH]`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from publicdata.catalog.model import FieldType
from publicdata.config import Settings

DECLARED = {
    "id": FieldType.INTEGER,
    "record_date": FieldType.DATE,
    "amount": FieldType.DECIMAL,
    "quantity": FieldType.INTEGER,
    "rate": FieldType.DECIMAL,
    "updated_at": FieldType.DATETIME,
    "is_active": FieldType.BOOLEAN,
}


def ours(csv_path: Path, scratch: Path) -> tuple[float, float, dict[str, Any]]:
    """(seconds end to end: `check_file`, what `publicdata quality FILE` runs — the CSV read like an
    upload, every check in one aggregate scan of the file, the report; seconds of the checks alone on
    the file's Parquet version — what the version pipeline adds to an upload, whose Parquet the ingest
    writes anyway; report). Both reports must agree."""
    import tempfile

    from publicdata.datastore.engine import new_connection
    from publicdata.datastore.model import quote_literal
    from publicdata.quality.checks import CheckInput, run_checks
    from publicdata.quality.service import check_file, read_like_upload

    settings = Settings(var_dir=scratch / "p6-var")
    start = time.perf_counter()
    report = check_file(settings, csv_path, key_columns=["id"], declared=DECLARED)
    end_to_end = time.perf_counter() - start
    con = new_connection(settings)
    con.execute("SET enable_progress_bar = false")
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        parquet = Path(folder) / "version.parquet"  # compressed as the data store writes versions
        read_like_upload(
            settings,
            con,
            csv_path,
            Path(folder),
            DECLARED,
            lambda rows: con.execute(
                f"COPY (SELECT * FROM {rows}) TO {quote_literal(str(parquet))} (FORMAT parquet)"
            ),
        )
        start = time.perf_counter()
        on_version = run_checks(con, parquet, CheckInput(declared=DECLARED, key_columns=["id"])).as_dict()
        checks = time.perf_counter() - start
    con.close()
    if on_version["findings"] != report["findings"]:
        raise RuntimeError("the file report and the version report differ")
    return end_to_end, checks, report


def frictionless(peers_python: Path, csv_path: Path) -> tuple[float, str]:
    binary = peers_python.parent / "frictionless"
    # Frictionless refuses absolute paths ("not safe"): run it in the file's folder.
    command = [str(binary), "validate", "--json", csv_path.name]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=csv_path.parent)
    seconds = time.perf_counter() - start
    outcome = "valid" if '"valid": true' in done.stdout else f"exit {done.returncode}"
    return seconds, outcome


def run_p6(
    csv_path: Path, peers_python: Path, log: Callable[[str], None] = print, repeats: int = 3
) -> dict[str, Any]:
    """Ours and DuckDB's raw read `repeats` times each (medians), frictionless once (it takes ~50×
    longer). DuckDB's raw CSV→Parquet of the same file is the calibration: what reading and typing
    this CSV costs on this machine, which bounds any end-to-end ratio."""
    from benchmarks.peers import duckdb_csv_to_parquet

    scratch = csv_path.parent
    log(f"P6 quality checks on {csv_path.name} ...")
    runs = [ours(csv_path, scratch) for _ in range(max(1, repeats))]
    ends = [r[0] for r in runs]
    checks = [r[1] for r in runs]
    report = runs[0][2]
    our_seconds, checks_seconds = statistics.median(ends), statistics.median(checks)
    raw_out = scratch / "p6-duckdb-raw.parquet"
    raw = [duckdb_csv_to_parquet(csv_path, raw_out) for _ in range(max(1, repeats))]
    raw_out.unlink(missing_ok=True)
    raw_seconds = statistics.median(raw)
    log(
        f"  ours: {our_seconds:.2f} s end to end, {checks_seconds:.2f} s checks on the Parquet version "
        f"(score {report['score']}, {report['row_count']} rows); DuckDB raw CSV→Parquet {raw_seconds:.2f} s"
    )
    result: dict[str, Any] = {
        "rows": report["row_count"],
        "ours_seconds": round(our_seconds, 3),
        "ours_runs": [round(x, 3) for x in ends],
        "ours_checks_seconds": round(checks_seconds, 3),
        "ours_checks_runs": [round(x, 3) for x in checks],
        "duckdb_raw_seconds": round(raw_seconds, 3),
        "duckdb_raw_runs": [round(x, 3) for x in raw],
        "ours_score": report["score"],
        "ours_findings": report["counts"],
    }
    if not (peers_python.parent / "frictionless").exists():
        log("  frictionless: not available (no frictionless in the peers' virtualenv)")
        result["frictionless"] = "not available"
        return result
    peer_seconds, outcome = frictionless(peers_python, csv_path)
    log(f"  frictionless validate: {peer_seconds:.2f} s ({outcome})")
    result |= {
        "frictionless_seconds": round(peer_seconds, 3),
        "frictionless_outcome": outcome,
        "frictionless_version": _frictionless_version(peers_python),
        "ratio": round(peer_seconds / our_seconds, 1) if our_seconds > 0 else None,
        "ratio_checks": round(peer_seconds / checks_seconds, 1) if checks_seconds > 0 else None,
        "ratio_duckdb_raw": round(peer_seconds / raw_seconds, 1) if raw_seconds > 0 else None,
    }
    log(
        f"  ratio (frictionless / ours): {result['ratio']}× end to end, {result['ratio_checks']}× "
        f"checks on the version (target ≥ 50×); DuckDB's raw read alone: {result['ratio_duckdb_raw']}×"
    )
    return result


def _frictionless_version(peers_python: Path) -> str:
    done = subprocess.run(
        [str(peers_python), "-c", "import frictionless; print(frictionless.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def main() -> None:
    from benchmarks import datagen

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path(__file__).parent / ".work")
    parser.add_argument("--peers-python", type=Path, default=None)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    generated = datagen.ensure(args.work, args.rows)
    peers_python = args.peers_python or args.work / "peers-venv" / "bin" / "python"
    run_p6(generated.path, peers_python)


if __name__ == "__main__":
    main()
