"""`./dev bench` (`python -m benchmarks`): P1 ingest, P2 query API, P4 downloads — ours and the peers.

python -m benchmarks                 # 1,000,000 rows, 3 runs each, P1 P2 P4, report to results/latest.md
python -m benchmarks --quick         # 50,000-row smoke run (1 run, 5 s load), report to results/quick.md
python -m benchmarks --full          # also our ingest's peak RSS on a 5× larger file
python -m benchmarks --only P2 --rows 200000 --duration 10
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx

from benchmarks import datagen, ours, peers, procs
from benchmarks.loadclient import load
from benchmarks.procs import RssSampler, run_child
from benchmarks.report import Measurement, Report, Target, machine_info, ratio_target

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
RESULTS = HERE / "results"
MB = 1024 * 1024


NOTES = [
    "P1: ours = the data store's in-process ingest use-case (what `publicdata ingest` runs), timed "
    "inside a fresh child process from queueing the file. 'To queryable': the CSV is a typed Parquet "
    "version with column statistics, committed and readable by its provider (the first of the "
    "version's two commits). 'To current for readers': after the privacy scan and quality checks every "
    "version gets, in the second commit that switches the current version (a version is never served "
    "to readers unchecked). The peers run as their users run them: DuckDB `COPY (SELECT * FROM "
    "read_csv(...)) TO parquet`; `sqlite-utils insert --csv` with type detection (wall time); "
    "PostgreSQL CREATE TABLE + `COPY FROM STDIN` streamed by psycopg, no ANALYZE.",
    "P2: the same loopback load client (asyncio + httpx, closed loop) for both; the query is "
    "district_code = one of the 16 districts (rotating), sorted by amount descending, 100 rows, no "
    "total count; Datasette in immutable mode with `_nocount=1&_nofacet=1&_nosuggest=1&_shape=objects`. "
    "Calibration: the smallest uvicorn app (`benchmarks/ceiling.py`: one fixed answer, no routing, no "
    "database) under the same client — with client and server sharing this machine's cores, its figures "
    "bound what any Python server can show here.",
    "P4: ours = full-file HTTP download from our server (read and discarded by the client; the first "
    "request waits for the export to be written, later ones send the cached file); DuckDB = "
    "`COPY (SELECT * FROM read_parquet(stored version)) TO file` on the same machine.",
]


def say(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=None, help="rows in the generated CSV (default 1,000,000)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 50,000 rows, 1 run, 5 s of load")
    parser.add_argument("--full", action="store_true", help="also measure our ingest's peak RSS on 5× rows")
    parser.add_argument("--repeats", type=int, default=None, help="runs per measurement (median; default 3)")
    parser.add_argument("--duration", type=float, default=None, help="seconds of load in P2 (default 20)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients in P2")
    parser.add_argument(
        "--only", default="P1,P2,P3,P4,P5,P6", help="comma-separated subset of P1,P2,P3,P4,P5,P6"
    )
    parser.add_argument(
        "--peers", default="duckdb,sqlite,postgres", help="comma-separated subset of duckdb,sqlite,postgres"
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server for the COPY peer (a scratch database is created)",
    )
    parser.add_argument(
        "--datasette-index",
        choices=["none", "filter", "filter-sort"],
        default="filter",
        help="index the SQLite table for Datasette: none, the filter column (default), "
        "or (filter, sort) columns",
    )
    parser.add_argument("--output", type=Path, default=None, help="report file (default results/latest.md)")
    args = parser.parse_args(argv)
    args.rows = args.rows or (50_000 if args.quick else 1_000_000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.duration = args.duration or (5.0 if args.quick else 20.0)
    args.only = {s.strip().upper() for s in args.only.split(",") if s.strip()}
    args.peers = {s.strip().lower() for s in args.peers.split(",") if s.strip()}
    args.output = args.output or RESULTS / ("quick.md" if args.quick else "latest.md")
    return args


def p99_target(label: str, m: Measurement) -> Target:
    """P2's latency ceiling (≤ 30 ms) for a measured server."""
    p99 = m.extra.get("p99")
    return Target(
        "P2", label, float(p99.split()[0]) if p99 else None, 30, "max", "ms", reason=m.unavailable or ""
    )


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = WORK
        self.work.mkdir(parents=True, exist_ok=True)
        self.versions: dict[str, str] = {"duckdb": duckdb.__version__, "publicdata commit": git_commit()}
        self.report = Report(
            title=f"publicdata data store benchmarks — {args.rows:,} rows",
            machine={},
            settings={
                "rows": f"{args.rows:,}",
                "runs per measurement": str(args.repeats),
                "P2 load": f"{args.concurrency} concurrent clients × {args.duration:g} s",
                "Datasette index": args.datasette_index,
                "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            },
        )
        self.csv: Path | None = None
        self.peer_env: Path | None = None
        self.pg_reason: str | None = "not selected"
        self.ours_reason = ours.availability()
        self.ours_var: Path | None = None
        self.sqlite_db = self.work / "sqlite" / "bench.db"
        self.duckdb_parquet = self.work / "duckdb" / "raw.parquet"

    # --- preparation ---------------------------------------------------------------------------------

    def prepare(self) -> None:
        generated = datagen.ensure(self.work, self.args.rows)
        self.csv = generated.path
        how = f"generated in {generated.seconds:.1f} s" if generated.seconds else "reused"
        say(f"data: {generated.path} ({generated.bytes / MB:.0f} MB, {generated.rows:,} rows, {how})")
        self.report.settings["CSV"] = f"{generated.bytes / MB:.0f} MB, {len(datagen.COLUMNS)} columns"
        if ("sqlite" in self.args.peers and self.args.only & {"P1", "P2"}) or self.args.only & {"P5", "P6"}:
            try:
                self.peer_env = peers.peers_venv(self.work, log=say)
                self.versions.update(peers.peer_versions(self.peer_env))
            except (subprocess.CalledProcessError, OSError) as exc:
                self.peer_env = None
                say(f"sqlite-utils/Datasette not available: {exc}")
        if "postgres" in self.args.peers and "P1" in self.args.only:
            self.pg_reason, version = peers.pg_available(self.args.pg_url)
            if self.pg_reason:
                say(f"PostgreSQL COPY skipped: {self.pg_reason}")
            else:
                self.versions["PostgreSQL"] = version
        if self.ours_reason:
            say(f"ours not available: {self.ours_reason}")
        self.report.machine = machine_info(self.versions)

    # --- P1 ingest -----------------------------------------------------------------------------------

    def ours_ingest(self, csv: Path, name: str) -> tuple[float, float, int, float]:
        """(seconds until the version is current for readers — checks included, wall seconds with
        start-up, peak RSS bytes, seconds until the version is committed and queryable by its provider)
        of one ingest in a child process."""
        var_dir = ours.fresh_var_dir(self.work, name)
        env = ours.env_for(var_dir)
        setup = run_child([sys.executable, "-m", "benchmarks.ours", "setup", str(var_dir)], env=env)
        if setup.returncode != 0:
            raise RuntimeError(f"setup failed: {setup.stderr.strip()[-600:]}")
        code = json.loads(setup.stdout.strip().splitlines()[-1])["dataset"]
        run = run_child(
            [sys.executable, "-m", "benchmarks.ours", "ingest", str(var_dir), code, str(csv)], env=env
        )
        if run.returncode != 0:
            raise RuntimeError(f"ingest failed: {run.stderr.strip()[-600:]}")
        inner = json.loads(run.stdout.strip().splitlines()[-1])
        self.ours_var = var_dir
        seconds = float(inner["seconds"])
        return seconds, run.seconds, run.max_rss_bytes, float(inner.get("queryable_seconds", seconds))

    def p1(self) -> None:
        assert self.csv is not None
        say("P1 ingest ...")
        rep = self.report
        m_core = rep.add(
            Measurement(
                "P1 ingest",
                "ours, to queryable (typed, with statistics; readable by its provider)",
                "s",
                unavailable=self.ours_reason,
            )
        )
        m_ours = rep.add(
            Measurement(
                "P1 ingest",
                "ours, to current for readers (+ privacy scan and quality checks)",
                "s",
                unavailable=self.ours_reason,
            )
        )
        m_duck = rep.add(Measurement("P1 ingest", "DuckDB raw CSV→Parquet", "s"))
        m_sqlite = rep.add(Measurement("P1 ingest", "sqlite-utils insert --csv", "s"))
        m_pg = rep.add(Measurement("P1 ingest", "PostgreSQL COPY FROM", "s"))
        if "duckdb" not in self.args.peers:
            m_duck.unavailable = "not selected"
        if self.peer_env is None:
            m_sqlite.unavailable = "not selected" if "sqlite" not in self.args.peers else "install failed"
        m_pg.unavailable = self.pg_reason
        self.duckdb_parquet.parent.mkdir(parents=True, exist_ok=True)
        self.sqlite_db.parent.mkdir(parents=True, exist_ok=True)
        walls: list[float] = []
        rss: list[int] = []
        for n in range(self.args.repeats):
            if m_ours.unavailable is None:
                try:
                    seconds, wall, peak, queryable = self.ours_ingest(self.csv, "ours-var")
                    m_ours.runs.append(seconds)
                    m_core.runs.append(queryable)
                    walls.append(wall)
                    rss.append(peak)
                except (RuntimeError, ValueError, KeyError) as exc:
                    m_ours.unavailable = m_core.unavailable = str(exc)
            if m_duck.unavailable is None:
                m_duck.runs.append(peers.duckdb_csv_to_parquet(self.csv, self.duckdb_parquet))
            if m_sqlite.unavailable is None and self.peer_env is not None:
                m_sqlite.runs.append(peers.sqlite_utils_insert(self.peer_env, self.csv, self.sqlite_db))
            if m_pg.unavailable is None:
                m_pg.runs.append(peers.pg_copy(self.args.pg_url, self.csv))
            say(
                f"  run {n + 1}: "
                + ", ".join(
                    f"{m.system} {m.runs[-1]:.2f} s"
                    for m in (m_ours, m_duck, m_sqlite, m_pg)
                    if len(m.runs) > n
                )
            )
        if walls:
            m_ours.extra["wall incl. process start"] = f"{sorted(walls)[len(walls) // 2]:.2f} s"
            m_ours.extra["peak RSS"] = f"{max(rss) / MB:.0f} MB"
        for m in (m_ours, m_core, m_duck, m_sqlite, m_pg):
            if m.value:
                m.extra["rows/s"] = f"{self.args.rows / m.value:,.0f}"
        rep.targets += [
            ratio_target("P1", "ours to queryable vs DuckDB raw", m_core, m_duck, 0.5),
            ratio_target("P1", "ours to queryable vs PostgreSQL COPY", m_core, m_pg, 3),
            ratio_target("P1", "ours to queryable vs sqlite-utils", m_core, m_sqlite, 10),
            ratio_target("P1", "ours with the checks vs DuckDB raw", m_ours, m_duck, 0.5),
            ratio_target("P1", "ours with the checks vs PostgreSQL COPY", m_ours, m_pg, 3),
            ratio_target("P1", "ours with the checks vs sqlite-utils", m_ours, m_sqlite, 10),
        ]
        if self.args.full:
            self.p1_memory()
        else:
            rep.targets.append(
                Target(
                    "P1", "our ingest peak RSS, 5× rows", None, 1024, "max", "MB", reason="run with --full"
                )
            )

    def p1_memory(self) -> None:
        rows = self.args.rows * 5
        target = Target("P1", f"our ingest peak RSS, {rows:,} rows", None, 1024, "max", "MB")
        self.report.targets.append(target)
        if self.ours_reason:
            target.reason = self.ours_reason
            return
        big = datagen.ensure(self.work, rows)
        say(f"P1 memory: {rows:,} rows ({big.bytes / MB:.0f} MB) ...")
        keep = self.ours_var  # P2 and P4 use the 1× store
        try:
            seconds, _, peak, _checks = self.ours_ingest(big.path, "ours-var-big")
        except RuntimeError as exc:
            target.reason = str(exc)[:200]
            return
        finally:
            self.ours_var = keep
        target.measured = peak / MB
        self.report.notes.append(
            f"5× ingest ({rows:,} rows) took {seconds:.1f} s, peak RSS {peak / MB:.0f} MB."
        )

    # --- P2 query API -----------------------------------------------------------------------------------

    def districts(self) -> list[str]:
        from publicdata.reference.divisions import shanghai_districts

        return [d.code for d in shanghai_districts()]

    def p2(self) -> None:
        say("P2 query API ...")
        rep = self.report
        m_ours = rep.add(Measurement("P2 query", "ours", "req/s", unavailable=self.ours_reason))
        m_cold = rep.add(
            Measurement("P2 query", "ours, answer cache off", "req/s", unavailable=self.ours_reason)
        )
        m_ds = rep.add(Measurement("P2 query", "Datasette", "req/s"))
        m_floor = rep.add(Measurement("P2 query", "ceiling: the smallest uvicorn app, same client", "req/s"))
        kwargs = {"concurrency": self.args.concurrency, "duration": self.args.duration}
        port = procs.free_port()
        ceiling = procs.Server(
            "ceiling",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "benchmarks.ceiling:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            port=port,
            log=self.work / "logs" / "ceiling.log",
        )
        with ceiling as srv:
            self._measure_load(m_floor, [srv.base + "/"] * 16, srv.pid, kwargs)
        if self.peer_env is None:
            m_ds.unavailable = "sqlite-utils/Datasette not installed or not selected"
        elif not self.sqlite_db.exists():
            assert self.csv is not None
            peers.sqlite_utils_insert(self.peer_env, self.csv, self.sqlite_db)
        if m_ds.unavailable is None and self.peer_env is not None:
            if self.args.datasette_index != "none":
                cols = ["district_code"] + (["amount"] if self.args.datasette_index == "filter-sort" else [])
                peers.sqlite_index(self.peer_env, self.sqlite_db, cols)
            with peers.datasette_server(
                self.peer_env, self.sqlite_db, self.work / "logs" / "datasette.log"
            ) as srv:
                urls = [peers.datasette_query_url(srv.base, self.sqlite_db, d) for d in self.districts()]
                self._measure_load(m_ds, urls, srv.pid, kwargs)
        # Ours twice: as deployed (immutable versions let the server keep answers), and with the answer
        # cache off, so every request scans (the honest cold-path figure).
        for m, cached in ((m_ours, True), (m_cold, False)):
            if m.unavailable is not None:
                continue
            if self.ours_var is None:
                m.unavailable = "no ingested store (P1 not run or failed)"
                continue
            try:
                log = self.work / "logs" / f"publicdata{'' if cached else '-cold'}.log"
                with ours.server(self.ours_var, log, result_cache=cached) as srv:
                    urls = [ours.records_url(srv.base, ours.DATASET_CODE, d) for d in self.districts()]
                    self._check(urls[0])
                    self._measure_load(m, urls, srv.pid, kwargs)
            except (RuntimeError, httpx.HTTPError) as exc:
                m.unavailable = str(exc)[:300]
        rep.targets.append(ratio_target("P2", "ours vs Datasette req/s", m_ours, m_ds, 2))
        rep.targets.append(ratio_target("P2", "ours, answer cache off, vs Datasette req/s", m_cold, m_ds, 2))
        rep.targets.append(
            p99_target("p99 latency of the smallest uvicorn app, same client (calibration)", m_floor)
        )
        rep.targets.append(p99_target("our p99 latency", m_ours))

    @staticmethod
    def _check(url: str) -> None:
        response = httpx.get(url, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} → HTTP {response.status_code}: {response.text[:200]}")

    def _measure_load(self, m: Measurement, urls: list[str], pid: int, kwargs: dict[str, float]) -> None:
        self._check(urls[0])
        p50s: list[float] = []
        p99s: list[float] = []
        errors = 0
        with RssSampler(pid) as sampler:
            for n in range(self.args.repeats):
                result = load(urls, **kwargs)
                m.runs.append(result.rps)
                p50s.append(result.percentile(50))
                p99s.append(result.percentile(99))
                errors += result.errors
                say(
                    f"  {m.system} run {n + 1}: {result.rps:,.0f} req/s, p50 {p50s[-1]:.1f} ms, "
                    f"p99 {p99s[-1]:.1f} ms, {result.errors} errors {result.first_error[:120]}"
                )
        m.extra["p50"] = f"{sorted(p50s)[len(p50s) // 2]:.1f} ms"
        m.extra["p99"] = f"{sorted(p99s)[len(p99s) // 2]:.1f} ms"
        m.extra["errors"] = str(errors)
        m.extra["server peak RSS"] = f"{sampler.peak / MB:.0f} MB"

    # --- P4 downloads ---------------------------------------------------------------------------------------

    def p4(self) -> None:
        say("P4 downloads ...")
        rep = self.report
        source = ours.current_parquet(self.ours_var) if self.ours_var else None
        parquet = source or (self.duckdb_parquet if self.duckdb_parquet.exists() else None)
        if parquet is None:
            assert self.csv is not None
            parquet = self.duckdb_parquet
            parquet.parent.mkdir(parents=True, exist_ok=True)
            peers.duckdb_csv_to_parquet(self.csv, parquet)
        rss_peak = 0
        for fmt in ("csv", "parquet"):
            m_ours = rep.add(Measurement(f"P4 download {fmt}", "ours", "s", unavailable=self.ours_reason))
            m_duck = rep.add(Measurement(f"P4 download {fmt}", "DuckDB COPY TO", "s"))
            for _ in range(self.args.repeats):
                m_duck.runs.append(peers.duckdb_export(parquet, self.work / "duckdb" / f"export.{fmt}", fmt))
            m_duck.extra["source"] = "our stored Parquet" if source else "DuckDB raw Parquet"
            if m_ours.unavailable is None and self.ours_var is None:
                m_ours.unavailable = "no ingested store (P1 not run or failed)"
            if m_ours.unavailable is None:
                try:
                    rss_peak = max(rss_peak, self._download(m_ours, fmt))
                except (RuntimeError, httpx.HTTPError) as exc:
                    m_ours.unavailable = str(exc)[:300]
            rep.targets.append(ratio_target("P4", f"ours {fmt} vs DuckDB COPY TO", m_ours, m_duck, 0.8))
            first = (
                float(m_ours.extra["first request"].split()[0]) if "first request" in m_ours.extra else None
            )
            m_first = Measurement(
                m_ours.bench,
                "ours (first request)",
                "s",
                runs=[first] if first else [],
                unavailable=m_ours.unavailable,
            )
            rep.targets.append(
                ratio_target("P4", f"ours {fmt}, first request, vs DuckDB COPY TO", m_first, m_duck, 0.8)
            )
        rep.targets.append(
            Target(
                "P4",
                "our server peak RSS while downloading",
                rss_peak / MB if rss_peak else None,
                300,
                "max",
                "MB",
                reason=self.ours_reason or "",
            )
        )

    def _download(self, m: Measurement, fmt: str) -> int:
        assert self.ours_var is not None
        with ours.server(self.ours_var, self.work / "logs" / f"publicdata-p4-{fmt}.log") as srv:
            url = ours.download_url(srv.base, ours.DATASET_CODE, fmt)
            size = 0
            runs: list[float] = []
            with RssSampler(srv.pid) as sampler:
                for _ in range(self.args.repeats + 1):
                    began = time.perf_counter()
                    size = 0
                    with httpx.stream("GET", url, timeout=600) as response:
                        if response.status_code != 200:
                            raise RuntimeError(f"GET {url} → HTTP {response.status_code}")
                        for chunk in response.iter_raw(1 << 20):
                            size += len(chunk)
                    runs.append(time.perf_counter() - began)
            # The first request may build a cached export file; the median is of the requests after it.
            m.runs += runs[1:]
            m.extra["first request"] = f"{runs[0]:.2f} s"
            m.extra["bytes"] = f"{size / MB:.0f} MB"
            m.extra["server peak RSS"] = f"{sampler.peak / MB:.0f} MB"
            return sampler.peak

    # --- P3 catalog search (issue 6) ------------------------------------------------------------------

    def p3(self) -> None:
        from benchmarks import p3_search

        say("P3 catalog search ...")
        options = argparse.Namespace(
            work=str(self.work / "p3"),
            datasets=5_000 if self.args.quick else 100_000,
            queries=50 if self.args.quick else 200,
            seed=7,
            database_url=None,
        )
        rows = p3_search.run(options)
        for row in rows:
            self.report.add(row)
        self.report.targets.append(
            Target(
                "P3", "search p95 latency", p3_search.p95(rows[0].runs), p3_search.TARGET_P95_MS, "max", "ms"
            )
        )

    # --- P5 personal-data scan, P6 quality checks (issue 5) -------------------------------------------

    def _peers_python(self) -> Path | None:
        return None if self.peer_env is None else self.peer_env / "bin" / "python"

    def p5(self) -> None:
        from benchmarks import p5_pii

        say("P5 personal-data scan ...")
        rep = self.report
        python = self._peers_python()
        if python is None or self.csv is None:
            rep.add(Measurement.missing("P5 PII scan", "Presidio", "cells/s", "peers venv not available"))
            return
        r = p5_pii.run_p5(self.csv, python, log=say, repeats=self.args.repeats)
        ours_acc = min(min(a["recall"], a["precision"]) for a in r["ours"]["accuracy"].values())
        peer_acc = min(min(a["recall"], a["precision"]) for a in r["presidio"]["accuracy"].values())
        cells = f"{r['rows']:,} rows × {r['columns']} columns"
        cells_total = r["rows"] * r["columns"]
        rep.add(
            Measurement(
                "P5 PII scan",
                f"ours, all {r['ours']['detectors']} detectors",
                "cells/s",
                [cells_total / t for t in r["ours"]["runs_seconds"]],
                {
                    "cells": cells,
                    "seconds": str(r["ours"]["seconds"]),
                    "min recall/precision": f"{ours_acc:.3f}",
                },
            )
        )
        rep.add(
            Measurement(
                "P5 PII scan",
                "ours, the same 3 detectors as Presidio",
                "cells/s",
                [cells_total / t for t in r["ours"]["same_detectors_runs_seconds"]],
                {"seconds": str(r["ours"]["same_detectors_seconds"])},
            )
        )
        rep.add(
            Measurement(
                "P5 PII scan",
                f"Presidio {r['presidio']['version']} (regex recognizers, no NLP)",
                "cells/s",
                [r["presidio"]["rows"] * r["columns"] / t for t in r["presidio"]["runs_seconds"]],
                {"rows": f"{r['presidio']['rows']:,}", "min recall/precision": f"{peer_acc:.3f}"},
            )
        )
        rep.targets.append(
            Target(
                "P5", "ours vs Presidio throughput (same detectors)", r["ratio_same_detectors"], 100, "ratio"
            )
        )
        rep.targets.append(Target("P5", "our recall and precision (worst detector)", ours_acc, 0.99, "ratio"))

    def p6(self) -> None:
        from benchmarks import p6_quality

        say("P6 quality checks ...")
        rep = self.report
        python = self._peers_python()
        if python is None or self.csv is None:
            rep.add(
                Measurement.missing("P6 quality", "frictionless validate", "s", "peers venv not available")
            )
            return
        r = p6_quality.run_p6(self.csv, python, log=say, repeats=self.args.repeats)
        rep.add(
            Measurement(
                "P6 quality", "ours, CSV to report", "s", r["ours_runs"], {"score": str(r["ours_score"])}
            )
        )
        rep.add(Measurement("P6 quality", "ours, checks on the stored version", "s", r["ours_checks_runs"]))
        rep.add(
            Measurement(
                "P6 quality",
                "calibration: DuckDB raw CSV→Parquet of the same file",
                "s",
                r["duckdb_raw_runs"],
            )
        )
        if "frictionless_seconds" not in r:
            rep.add(
                Measurement.missing("P6 quality", "frictionless validate", "s", str(r.get("frictionless")))
            )
            return
        rep.add(
            Measurement(
                "P6 quality",
                "frictionless validate",
                "s",
                [r["frictionless_seconds"]],
                {
                    "outcome": str(r.get("frictionless_outcome", ""))[:80],
                    "version": str(r.get("frictionless_version", "")),
                },
            )
        )
        rep.targets.append(
            Target("P6", "ours (CSV to report) vs frictionless validate", r.get("ratio"), 50, "ratio")
        )
        rep.targets.append(
            Target(
                "P6", "ours (checks of a stored version) vs frictionless", r.get("ratio_checks"), 50, "ratio"
            )
        )
        rep.targets.append(
            Target(
                "P6",
                "calibration: DuckDB's raw read of the file alone vs frictionless",
                r.get("ratio_duckdb_raw"),
                50,
                "ratio",
            )
        )

    # --- all ---------------------------------------------------------------------------------------------

    def run(self) -> Report:
        self.prepare()
        if "P1" in self.args.only:
            self.p1()
        if "P2" in self.args.only:
            self.p2()
        if "P3" in self.args.only:
            self.p3()
        if "P4" in self.args.only:
            self.p4()
        if "P5" in self.args.only:
            self.p5()
        if "P6" in self.args.only:
            self.p6()
        if hasattr(os, "getloadavg"):
            load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
            self.report.machine["load average at end (1/5/15 min)"] = load
        self.report.notes += NOTES
        return self.report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    report = Bench(args).run()
    report.write(args.output)
    say("")
    say(report.to_markdown())
    say(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
