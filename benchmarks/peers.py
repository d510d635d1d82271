"""The peers: DuckDB raw, sqlite-utils (+ Datasette), PostgreSQL COPY — each run the way its users run it.

sqlite-utils and Datasette are installed by this module into their own virtual environment under
``benchmarks/.work/peers-venv`` (never into the project's), so that their dependencies cannot change ours.
"""

from __future__ import annotations

import json
import subprocess
import time
import venv
from collections.abc import Callable
from pathlib import Path

import duckdb

from benchmarks.procs import Server, free_port, run_child

PEER_PACKAGES = ("sqlite-utils>=3.36", "datasette>=0.64", "presidio-analyzer>=2.2", "frictionless>=5.18")
PG_DATABASE = "publicdata_bench"

PG_COLUMNS = """
    id bigint, record_date date, district_code text, district_name text, enterprise_name text,
    credit_code text, industry text, amount numeric(12, 2), quantity integer, rate double precision,
    updated_at timestamp, is_active boolean, address text
"""


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# --- the peers' virtual environment ---------------------------------------------------------------


def peers_venv(work_dir: Path, *, log: Callable[[str], None] = print) -> Path:
    """The virtualenv with sqlite-utils and Datasette, created and installed on first use."""
    env_dir = work_dir / "peers-venv"
    stamp = env_dir / ".installed"
    wanted = "\n".join(PEER_PACKAGES)
    if stamp.exists() and stamp.read_text() == wanted:
        return env_dir
    log(f"installing {', '.join(PEER_PACKAGES)} into {env_dir} ...")
    if not (env_dir / "bin" / "python").exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True
    )
    stamp.write_text(wanted)
    return env_dir


def peer_versions(env_dir: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json; "
        "print(json.dumps({p: m.version(p) for p in ('sqlite-utils', 'datasette')}))"
    )
    out = subprocess.run([str(env_dir / "bin" / "python"), "-c", code], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else {}


# --- DuckDB raw: the limit of this machine ---------------------------------------------------------


def duckdb_csv_to_parquet(csv_path: Path, out: Path) -> float:
    """`COPY (SELECT * FROM read_csv(...)) TO 'x.parquet'` in a fresh connection; seconds."""
    out.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        began = time.perf_counter()
        con.execute(
            f"COPY (SELECT * FROM read_csv('{_sql_path(csv_path)}')) TO '{_sql_path(out)}' (FORMAT parquet)"
        )
        return time.perf_counter() - began
    finally:
        con.close()


def duckdb_export(parquet: Path, out: Path, fmt: str) -> float:
    """DuckDB's own `COPY (SELECT * FROM parquet) TO out` as CSV (with header) or Parquet; seconds."""
    out.unlink(missing_ok=True)
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        began = time.perf_counter()
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{_sql_path(parquet)}')) TO '{_sql_path(out)}' ({options})"
        )
        return time.perf_counter() - began
    finally:
        con.close()


# --- sqlite-utils insert --csv (Datasette's path) --------------------------------------------------


def sqlite_utils_insert(env_dir: Path, csv_path: Path, db: Path) -> float:
    """`sqlite-utils insert db t file.csv --csv` with column types detected, into a new database; seconds.

    sqlite-utils 4 detects types by default; 3.x needs `--detect-types`.
    """
    db.unlink(missing_ok=True)
    exe = str(env_dir / "bin" / "sqlite-utils")
    cmd = [exe, "insert", str(db), "t", str(csv_path), "--csv"]
    if (
        "--no-detect-types"
        not in subprocess.run([exe, "insert", "--help"], capture_output=True, text=True).stdout
    ):
        cmd.append("--detect-types")
    run = run_child(cmd)
    if run.returncode != 0:
        raise RuntimeError(f"sqlite-utils failed: {run.stderr[-500:]}")
    return run.seconds


def sqlite_index(env_dir: Path, db: Path, columns: list[str]) -> None:
    cmd = [str(env_dir / "bin" / "sqlite-utils"), "create-index", str(db), "t", *columns, "--if-not-exists"]
    subprocess.run(cmd, check=True, capture_output=True)


def datasette_server(env_dir: Path, db: Path, log: Path) -> Server:
    """Datasette serving `db` read-only (`-i`, immutable: its fastest mode) on a free loopback port."""
    port = free_port()
    cmd = [
        str(env_dir / "bin" / "datasette"),
        "serve",
        "-i",
        str(db),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        "30000",
        "--setting",
        "default_page_size",
        "100",
    ]
    return Server("datasette", cmd, port=port, log=log, ready_path="/-/versions.json")


def datasette_query_url(base: str, db: Path, district: str) -> str:
    return (
        f"{base}/{db.stem}/t.json?district_code__exact={district}&_sort_desc=amount&_size=100"
        "&_shape=objects&_nocount=1&_nofacet=1&_nosuggest=1"
    )


# --- PostgreSQL COPY FROM (CKAN xloader's path) ----------------------------------------------------


def pg_connect(url: str, dbname: str | None = None):  # type: ignore[no-untyped-def]
    import psycopg

    kwargs = {"connect_timeout": 3}
    if dbname:
        kwargs["dbname"] = dbname  # type: ignore[assignment]
    return psycopg.connect(url, autocommit=True, **kwargs)


def pg_available(url: str) -> tuple[str | None, str]:
    """(None, version) when a server answers at `url`, else (reason, "")."""
    try:
        with pg_connect(url) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone()
            if not exists:
                conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        return None, str(version)
    except Exception as exc:  # any failure means: no usable server here
        return f"no PostgreSQL server at {url} ({type(exc).__name__}: {str(exc).strip()[:120]})", ""


def pg_copy(url: str, csv_path: Path) -> float:
    """CREATE TABLE + `COPY t FROM STDIN (FORMAT csv, HEADER)` streaming the file; seconds."""
    with pg_connect(url, PG_DATABASE) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_t")
        began = time.perf_counter()
        with conn.transaction():
            conn.execute(f"CREATE TABLE bench_t ({PG_COLUMNS})")
            with (
                conn.cursor() as cur,
                cur.copy("COPY bench_t FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                csv_path.open("rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
        seconds = time.perf_counter() - began
        conn.execute("DROP TABLE IF EXISTS bench_t")
    return seconds
