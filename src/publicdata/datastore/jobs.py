"""Ingest jobs: persisted in `ingest_jobs`, run by an in-process worker thread (or inline by the CLI),
retried on failure, and recovered after a crash.

States: queued → running → succeeded | failed. Bad input (IngestError) fails at once — a retry
would read the same bytes; any other error re-queues the job until `max_attempts`. A `running` job
whose process is gone (same host, dead pid) or whose heartbeat is older than STALE_AFTER is re-queued
by `recover_jobs`, which also removes the temp files dead processes left behind.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from publicdata.datastore.engine import data_dir
from publicdata.datastore.ingest import IngestResult, discard_unchecked, run_ingest, worker_name
from publicdata.datastore.readers import IngestError
from publicdata.datastore.tables import DataVersion, IngestJob
from publicdata.db import utcnow
from publicdata.errors import AppError
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.platform import Platform

log = logging.getLogger("publicdata.datastore.jobs")
STALE_AFTER = timedelta(minutes=15)
_workers: dict[str, threading.Thread] = {}
_workers_lock = threading.Lock()
_recovered: set[str] = set()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_dead(worker: str | None) -> bool:
    if not worker:
        return True
    host, _, pid = worker.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


def claim(platform: Platform, job_id: str) -> IngestJob | None:
    """Take a queued job (compare-and-set, so two workers never run the same job)."""
    now = utcnow()
    with platform.db.transaction() as session:
        result = session.execute(
            update(IngestJob)
            .where(IngestJob.id == job_id, IngestJob.state == "queued")
            .values(
                state="running",
                worker=worker_name(),
                started_at=now,
                heartbeat_at=now,
                attempts=IngestJob.attempts + 1,
                stage="starting",
                progress=0,
            )
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        return session.get(IngestJob, job_id)


def _reporter(platform: Platform, job_id: str, listener: Any = None) -> Any:
    last: dict[str, Any] = {"progress": -10, "stage": ""}

    def report(progress: int, stage: str) -> None:
        if listener is not None:
            listener(progress, stage)
        if stage == last["stage"] and progress - last["progress"] < 5:
            return
        last.update(progress=progress, stage=stage)
        with platform.db.transaction() as session:
            session.execute(
                update(IngestJob)
                .where(IngestJob.id == job_id)
                .values(progress=progress, stage=stage, heartbeat_at=utcnow())
            )

    return report


def _error_payload(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, AppError):
        return {
            "code": exc.code,
            "message_en": exc.message_en,
            "message_zh": exc.message_zh,
            "details": exc.details,
        }
    return {
        "code": "internal_error",
        "message_en": f"{type(exc).__name__}: {exc}"[:1000],
        "message_zh": "导入时发生内部错误",
        "details": None,
    }


def execute(platform: Platform, job_id: str, *, actor: Principal = SYSTEM, listener: Any = None) -> IngestJob:
    """Run one claimed-or-queued job to the end of this attempt; returns the stored job."""
    job = claim(platform, job_id)
    if job is not None:
        try:
            result: IngestResult = run_ingest(
                platform, job=job, actor=actor, report=_reporter(platform, job_id, listener)
            )
            log.info("ingest %s: version %s, %s rows", job_id, result.version, result.row_count)
        except Exception as exc:  # the job records every failure; nothing escapes a worker
            permanent = isinstance(exc, IngestError)
            if not permanent:
                log.warning("ingest %s failed: %s", job_id, traceback.format_exc())
            with platform.db.transaction() as session:
                stored = session.get(IngestJob, job_id)
                assert stored is not None
                retry = not permanent and stored.attempts < stored.max_attempts
                stored.state = "queued" if retry else "failed"
                stored.error = _error_payload(exc)
                stored.stage = "retrying" if retry else "failed"
                stored.finished_at = None if retry else utcnow()
    with platform.db.reading() as session:
        stored = session.get(IngestJob, job_id)
        assert stored is not None
        session.expunge(stored)  # keep its loaded values after the read-only session rolls back
        return stored


def run_until_done(
    platform: Platform, job_id: str, *, actor: Principal = SYSTEM, listener: Any = None
) -> IngestJob:
    """Run a job inline, retrying up to its max attempts (the CLI and `wait=true` uploads)."""
    while True:
        job = execute(platform, job_id, actor=actor, listener=listener)
        if job.state != "queued":
            return job


def run_pending(platform: Platform) -> int:
    """Run queued jobs, oldest first, until none is left; returns how many attempts ran."""
    ran = 0
    while True:
        with platform.db.reading() as session:
            job_id = session.scalar(
                select(IngestJob.id)
                .where(IngestJob.state == "queued")
                .order_by(IngestJob.created_at)
                .limit(1)
            )
        if job_id is None:
            return ran
        execute(platform, job_id)
        ran += 1


def kick_worker(platform: Platform) -> None:
    """Make sure this process has a worker thread draining the queue (started lazily)."""
    key = platform.db.url
    with _workers_lock:
        if key not in _recovered:
            _recovered.add(key)
            recover_jobs(platform)
        thread = _workers.get(key)
        if thread is not None and thread.is_alive():
            return

        def work() -> None:
            try:
                run_pending(platform)
            except Exception:
                log.exception("ingest worker stopped")

        thread = threading.Thread(target=work, name="publicdata-ingest", daemon=True)
        _workers[key] = thread
        thread.start()


def recover_jobs(platform: Platform) -> dict[str, int]:
    """After a crash: re-queue running jobs whose process died; remove temp files of dead processes
    and version files that no committed row names."""
    requeued = 0
    stale_before = utcnow() - STALE_AFTER
    with platform.db.transaction() as session:
        running = session.scalars(select(IngestJob).where(IngestJob.state == "running")).all()
        for job in running:
            heartbeat = job.heartbeat_at or job.started_at
            if _worker_dead(job.worker) or (heartbeat is not None and heartbeat < stale_before):
                job.state = "queued" if job.attempts < job.max_attempts else "failed"
                job.stage = "recovered"
                job.error = {
                    "code": "worker_died",
                    "message_en": f"the process running this job ({job.worker}) stopped",
                    "message_zh": "执行该任务的进程已终止",
                    "details": None,
                }
                if job.state == "failed":
                    job.finished_at = utcnow()
                requeued += 1
        live_datasets = {j.dataset_id for j in running if j.state == "running"}
        unfinished = _unfinished_checks(session, stale_before)
        referenced = {
            relative
            for pair in session.execute(select(DataVersion.path, DataVersion.raw_path))
            for relative in pair
            if relative
        }
    for dataset_id, version in unfinished:
        discard_unchecked(platform, dataset_id=dataset_id, version=version)
    removed = _clean_files(data_dir(platform.settings), referenced, live_datasets)
    return {"requeued": requeued, "removed_files": removed, "discarded_versions": len(unfinished)}


def _unfinished_checks(session: Session, stale_before: datetime) -> list[tuple[str, int]]:
    """Versions whose checks never finished and never will: their job failed for good (a queued job
    discards its own on the re-run), or they were derived by a process long gone."""
    rows = session.execute(
        select(DataVersion.dataset_id, DataVersion.version, DataVersion.created_at, IngestJob.state)
        .outerjoin(IngestJob, IngestJob.id == DataVersion.job_id)
        .where(DataVersion.checked_at.is_(None))
    )
    return [
        (dataset_id, version)
        for dataset_id, version, created_at, state in rows
        if state in ("failed", "succeeded") or (state is None and created_at < stale_before)
    ]


def _clean_files(root: Path, referenced: set[str], live_datasets: set[str]) -> int:
    """Remove temp files of dead processes, and version files (`*.parquet` in a dataset's folder) that
    no committed version row names — except in folders an ingest is running in."""
    removed = 0
    for folder in root.iterdir():
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        for path in folder.iterdir():
            name = path.name
            if name.startswith(".tmp-"):
                pid = name.split("-")[1]
                if pid.isdigit() and (int(pid) == os.getpid() or _pid_alive(int(pid))):
                    continue
                path.unlink(missing_ok=True)
                removed += 1
            elif (
                path.is_file()
                and name.endswith(".parquet")
                and folder.name not in live_datasets
                and f"{folder.name}/{name}" not in referenced
            ):
                path.unlink(missing_ok=True)
                removed += 1
    return removed
