"""Our side of the benchmarks: a scratch var dir, one published open dataset, ingest, serve, URLs.

Child-process entry points (so that timings and peak RSS are of one clean process each):

    python -m benchmarks.ours setup  VAR_DIR              -> prints {"dataset": CODE}
    python -m benchmarks.ours ingest VAR_DIR CODE FILE    -> prints {"seconds": ..., ...}
    python -m benchmarks.ours serve  VAR_DIR PORT         -> our app on 127.0.0.1:PORT

Everything that depends on the data store's API lives in this module, so that the harness prints
"not available: <reason>" for our rows while the data store is missing or incomplete.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.datagen import COLUMNS
from benchmarks.procs import Server, free_port

DATASET_CODE = "BENCH-0001"
PROVIDER_CODE = "BENCH"

_FIELD_TYPES = {
    "id": "integer",
    "record_date": "date",
    "district_code": "text",
    "district_name": "text",
    "enterprise_name": "text",
    "credit_code": "text",
    "industry": "text",
    "amount": "decimal",
    "quantity": "integer",
    "rate": "decimal",
    "updated_at": "datetime",
    "is_active": "boolean",
    "address": "text",
}


def env_for(var_dir: Path) -> dict[str, str]:
    """The environment of our child processes and server: the scratch var dir, no background duties."""
    env = {k: v for k, v in os.environ.items() if k not in {"PUBLICDATA_DATABASE_URL", "PUBLICDATA_DATA_DIR"}}
    env.update(
        {
            "PUBLICDATA_VAR_DIR": str(var_dir),
            "PUBLICDATA_TICK_INTERVAL_MINUTES": "0",
            # A load test from one loopback address is not abuse: lift the rate limits (0 = none).
            "PUBLICDATA_DATASTORE_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
            "PUBLICDATA_DATASTORE_RATE_LIMIT_TOKEN_PER_MINUTE": "0",
        }
    )
    return env


def _ingest_api() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The data store's `queue_file` and `jobs.run_until_done` (what `publicdata ingest` runs)."""
    service = importlib.import_module("publicdata.datastore.ingest_service")
    jobs = importlib.import_module("publicdata.datastore.jobs")
    queue, run = getattr(service, "queue_file", None), getattr(jobs, "run_until_done", None)
    if not callable(queue) or not callable(run):
        raise AttributeError(
            "publicdata.datastore has no ingest_service.queue_file() / jobs.run_until_done()"
        )
    return queue, run


def availability() -> str | None:
    """None when our data store can be benchmarked; else why not (printed as 'not available: ...')."""
    if importlib.util.find_spec("publicdata.datastore") is None:
        return "publicdata.datastore is not in this tree yet"
    try:
        _ingest_api()
        importlib.import_module("publicdata.datastore.api")
    except (ImportError, AttributeError) as exc:
        return f"data store ingest not usable ({type(exc).__name__}: {exc})"
    return None


# --- child-process commands ----------------------------------------------------------------------------


def _platform():  # type: ignore[no-untyped-def]
    from publicdata.config import get_settings
    from publicdata.platform import Platform

    return Platform.from_settings(get_settings())


def setup(var_dir: Path) -> str:
    """Fresh database under `var_dir`, a provider org and one published unconditional dataset."""
    from publicdata import migrate
    from publicdata.catalog.schemas import DatasetIn
    from publicdata.catalog.service import create_dataset, publish_dataset
    from publicdata.config import get_settings
    from publicdata.identity.model import OrgKind
    from publicdata.identity.permissions import SYSTEM
    from publicdata.identity.schemas import OrganizationIn
    from publicdata.identity.service import create_organization

    settings = get_settings()
    assert settings.var_dir == var_dir.resolve(), (settings.var_dir, var_dir)
    migrate.upgrade(settings.resolved_database_url)
    platform = _platform()
    try:
        create_organization(
            platform,
            actor=SYSTEM,
            data=OrganizationIn(code=PROVIDER_CODE, name="上海市基准测试委员会", kind=OrgKind.DEPARTMENT),
        )
        doc = {
            "code": DATASET_CODE,
            "provider": PROVIDER_CODE,
            "name": "企业经营情况基准数据（一百万行）",
            "name_en": "Benchmark enterprise records",
            "summary": "由基准测试脚本确定性生成的企业经营记录，用于衡量数据存储的导入、查询和下载性能。",
            "domain": "economy",
            "tags": ["基准测试"],
            "fields": [
                {"name": c, "label": c, "type": _FIELD_TYPES[c], "description": f"generated column {c}"}
                for c in COLUMNS
            ],
            "formats": ["csv"],
            "update_frequency": "monthly",
            "open_class": "unconditional",
        }
        create_dataset(platform, actor=SYSTEM, data=DatasetIn.model_validate(doc))
        publish_dataset(platform, actor=SYSTEM, ref=DATASET_CODE, note="benchmark")
    finally:
        platform.close()
    return DATASET_CODE


def ingest(code: str, file: Path) -> dict[str, Any]:
    """Our in-process ingest, end to end: queue (hash the file) and run the job until the new version is
    current, with its typed schema and column statistics — the same calls as `publicdata ingest`."""
    from publicdata.identity.permissions import SYSTEM

    queue_file, run_until_done = _ingest_api()
    platform = _platform()
    stages: dict[str, float] = {}

    def listener(_progress: int, stage: str) -> None:
        stages.setdefault(stage, time.perf_counter())  # when each stage began

    try:
        began = time.perf_counter()
        job_id = queue_file(platform, actor=SYSTEM, ref=code, path=file)
        job = run_until_done(platform, job_id, actor=SYSTEM, listener=listener)
        seconds = time.perf_counter() - began
    finally:
        platform.close()
    if job.state != "succeeded":
        raise RuntimeError(f"ingest job {job.state}: {job.error}")
    # The version is committed (typed, with statistics, queryable by its provider) when the "checking"
    # stage begins; the privacy scan and quality checks (issue 5) follow, then it becomes current.
    queryable = stages["checking"] - began if "checking" in stages else seconds
    return {
        "seconds": seconds,
        "queryable_seconds": queryable,
        "checks_seconds": max(seconds - queryable, 0.0),
        "version": job.version,
    }


def current_parquet(var_dir: Path) -> Path | None:
    """The newest Parquet version our store wrote under the scratch var dir (for DuckDB's COPY TO)."""
    files = sorted(
        (p for p in (var_dir / "data").rglob("*.parquet") if ".duckdb-tmp" not in p.parts),
        key=lambda p: p.stat().st_mtime,
    )
    return files[-1] if files else None


# --- the server --------------------------------------------------------------------------------------------


def app_factory() -> Any:
    """`publicdata serve`'s app, plus the data store router while app.py does not include it yet."""
    from publicdata.app import create_app
    from publicdata.datastore.api import router

    app = create_app()
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/api/v1/datasets/{ref}/records" not in paths:
        app.include_router(router)
    return app


def serve(port: int) -> None:
    """Serve like `publicdata serve` does (uvicorn, one process, loopback)."""
    import uvicorn

    uvicorn.run(
        "benchmarks.ours:app_factory",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=1,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


def server(var_dir: Path, log: Path, *, result_cache: bool = True) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "benchmarks.ours", "serve", str(var_dir), str(port)]
    env = env_for(var_dir)
    if not result_cache:
        env["PUBLICDATA_DATASTORE_RESULT_CACHE_ENTRIES"] = "0"
    return Server("publicdata", cmd, port=port, env=env, log=log, ready_path="/api/v1/datasets")


def records_url(base: str, code: str, district: str) -> str:
    """Same query as Datasette's: district_code = X, sorted by amount descending, 100 rows, no total."""
    return f"{base}/api/v1/datasets/{code}/records?district_code={district}&sort=-amount&limit=100"


def download_url(base: str, code: str, fmt: str) -> str:
    return f"{base}/api/v1/datasets/{code}/download.{fmt}"


def fresh_var_dir(work_dir: Path, name: str) -> Path:
    path = work_dir / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def main(argv: list[str]) -> int:
    command, var_dir = argv[0], Path(argv[1])
    if command == "setup":
        print(json.dumps({"dataset": setup(var_dir)}))
    elif command == "ingest":
        print(json.dumps(ingest(argv[2], Path(argv[3]))))
    elif command == "serve":
        serve(int(argv[2]))
    else:
        print(f"unknown command {command}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
