"""A version is committed before its checks (readable by its provider only) and becomes current when
the privacy scan and quality checks are recorded; a failure or a crash in between loses nothing."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from publicdata.catalog.service import find_dataset
from publicdata.datastore import ingest_service, jobs, pipeline, service
from publicdata.datastore.tables import DatasetHead, DataVersion, IngestJob
from publicdata.errors import NotFound
from publicdata.identity.permissions import ANONYMOUS, SYSTEM
from publicdata.platform import Platform
from tests.helpers import make_published_dataset

CODE = "SH-ORGA-CHK"
V1 = "stop_name,district_code,longitude\n人民广场站,310101,121.4737\n陆家嘴站,310115,121.5055\n"
V2 = V1 + "徐家汇站,310104,121.4365\n"


@pytest.fixture
def dataset(platform: Platform) -> str:
    return make_published_dataset(platform, org="ORGA", org_name="上海市测试委员会A", code=CODE)


def upload(platform: Platform, text: str) -> dict[str, Any]:
    return ingest_service.upload(
        platform, actor=SYSTEM, ref=CODE, filename="stops.csv", stream=io.BytesIO(text.encode()), wait=True
    )


def dataset_id(platform: Platform) -> str:
    with platform.db.reading() as session:
        return find_dataset(session, CODE).id


def version_rows(platform: Platform) -> dict[int, DataVersion]:
    with platform.db.reading() as session:
        rows = session.scalars(select(DataVersion).where(DataVersion.dataset_id == dataset_id(platform)))
        found = {v.version: v for v in rows}
        for v in found.values():
            session.expunge(v)
        return found


def head(platform: Platform) -> int | None:
    with platform.db.reading() as session:
        row = session.get(DatasetHead, dataset_id(platform))
        return None if row is None else row.version


@contextmanager
def failing_step() -> Iterator[None]:
    """A step registered through the pipeline's plugin point that fails, as a real analyzer might."""

    def analyze(_platform: Platform, _draft: pipeline.VersionDraft) -> None:
        raise RuntimeError("the checks broke")

    pipeline.register_analyzer("test.failing", analyze, lambda *_args: None)
    try:
        yield
    finally:
        pipeline._STEPS.pop("test.failing", None)


@pytest.mark.req("CAT-7", "QUA-1")
def test_a_checked_version_is_current_and_listed_for_everyone(platform: Platform, dataset: str) -> None:
    job = upload(platform, V1)
    assert job["state"] == "succeeded" and job["version"] == 1
    row = version_rows(platform)[1]
    assert row.checked_at is not None and head(platform) == 1
    listed = service.list_versions(platform, actor=ANONYMOUS, ref=CODE)
    assert [(v["version"], v["checked"]) for v in listed] == [(1, True)]


@pytest.mark.req("CAT-7")
def test_a_failed_check_discards_the_new_version_and_keeps_the_previous_current(
    platform: Platform, dataset: str
) -> None:
    assert upload(platform, V1)["state"] == "succeeded"
    with failing_step():
        job = upload(platform, V2)
    assert job["state"] == "failed" and "the checks broke" in job["error"]["message_en"]
    rows = version_rows(platform)
    assert set(rows) == {1} and head(platform) == 1
    folder = platform.settings.resolved_data_dir / dataset_id(platform)
    assert [p.name for p in folder.iterdir() if p.suffix == ".parquet"] == [Path(rows[1].path).name]
    assert len(service.query_records(platform, actor=ANONYMOUS, ref=CODE, params=[])["records"]) == 2


@pytest.mark.req("CAT-7")
def test_sigkill_during_the_checks_keeps_the_previous_version_and_the_rerun_succeeds(
    platform: Platform, dataset: str
) -> None:
    assert upload(platform, V1)["state"] == "succeeded"
    settings = platform.settings
    big = settings.var_dir / "v2.csv"
    big.write_text(V2, encoding="utf-8")
    env = {
        **os.environ,
        "PUBLICDATA_DATABASE_URL": settings.resolved_database_url,
        "PUBLICDATA_VAR_DIR": str(settings.var_dir),
        "PUBLICDATA_SECRET_KEY": "test-secret-key-not-for-production",
    }
    # The child's checks never finish (a step that sleeps), so it is killed while they run.
    child = textwrap.dedent(
        f"""
        import sys, time, typer
        from publicdata.datastore import pipeline
        from publicdata.datastore.cli import ingest_command
        pipeline.register_analyzer("test.slow", lambda *_a: time.sleep(600), lambda *_a: None)
        sys.argv = ["publicdata-ingest", {CODE!r}, {str(big)!r}]
        typer.run(ingest_command)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and 2 not in version_rows(platform):
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)

    # Version 2 exists, unchecked: its provider may read it, nobody else; version 1 stays current.
    unchecked = version_rows(platform)[2]
    assert unchecked.checked_at is None and head(platform) == 1
    with pytest.raises(NotFound) as refused:
        service.query_records(platform, actor=ANONYMOUS, ref=CODE, params=[], version=2)
    assert refused.value.code == "version_checking"
    assert [v["version"] for v in service.list_versions(platform, actor=ANONYMOUS, ref=CODE)] == [1]
    preview = service.query_records(platform, actor=SYSTEM, ref=CODE, params=[], version=2)
    assert len(preview["records"]) == 3
    assert len(service.query_records(platform, actor=ANONYMOUS, ref=CODE, params=[])["records"]) == 2

    # Recovery re-queues the job; its re-run discards the unchecked version and makes a checked one.
    assert jobs.recover_jobs(platform)["requeued"] == 1
    assert jobs.run_pending(platform) == 1
    rows = version_rows(platform)
    assert set(rows) == {1, 2} and rows[2].checked_at is not None and head(platform) == 2
    # Number 2 came again, its file name did not: no export or cache of the discarded one applies.
    assert rows[2].path != unchecked.path
    assert not (platform.settings.resolved_data_dir / unchecked.path).exists()
    assert len(service.query_records(platform, actor=ANONYMOUS, ref=CODE, params=[])["records"]) == 3
    with platform.db.reading() as session:
        assert session.scalar(select(IngestJob.state).where(IngestJob.version == 2)) == "succeeded"


@pytest.mark.req("CAT-7")
def test_recovery_discards_the_unchecked_version_of_a_job_that_failed_for_good(
    platform: Platform, dataset: str
) -> None:
    assert upload(platform, V1)["state"] == "succeeded"
    job = upload(platform, V2)
    # As if the process died during the checks of its last attempt: the row is unchecked again, the
    # job was given up, and the head never moved.
    with platform.db.transaction() as session:
        session.scalars(select(DataVersion).where(DataVersion.version == 2)).one().checked_at = None
        stored = session.get(IngestJob, job["id"])
        assert stored is not None
        stored.state = "failed"
        session.get(DatasetHead, dataset_id(platform)).version = 1  # type: ignore[union-attr]
    unchecked = platform.settings.resolved_data_dir / version_rows(platform)[2].path
    assert unchecked.exists()
    recovered = jobs.recover_jobs(platform)
    assert recovered["discarded_versions"] == 1
    assert set(version_rows(platform)) == {1}
    assert not unchecked.exists()
