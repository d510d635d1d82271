"""Calendar loading over HTTP and the CLI: a 2027 deadline is provisional with a warning, then loading a
(hypothetical) 2027 schedule moves the open order's due date (PLT-5, ACC-4)."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from publicdata.audit.tables import AuditRecord
from publicdata.catalog.review import ChangeKind, submit_open_list_change
from publicdata.catalog.schemas import DatasetIn
from publicdata.catalog.service import create_dataset
from publicdata.config import Settings, get_settings
from publicdata.identity import auth
from publicdata.platform import Platform
from tests.helpers import PASSWORD, Actors, auth_header, dataset_document, make_actors

# The hypothetical 2027 schedule of docs/calendar-file.md (invented dates).
SCHEDULE_2027 = {
    "year": 2027,
    "source": "国务院办公厅关于2027年部分节假日安排的通知（示例，非真实）",
    "holidays": [
        {"start": "2027-01-01", "end": "2027-01-03", "name": "元旦"},
        {"start": "2027-02-05", "end": "2027-02-13", "name": "春节"},
        {"start": "2027-10-01", "end": "2027-10-07", "name": "国庆节"},
    ],
    "makeup_workdays": [{"date": "2027-01-31", "name": "春节"}, {"date": "2027-02-20", "name": "春节"}],
}


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


def schedule_file(data: dict[str, object] = SCHEDULE_2027, name: str = "2027.json") -> dict[str, object]:
    return {"file": (name, io.BytesIO(json.dumps(data, ensure_ascii=False).encode()), "application/json")}


@pytest.mark.req("ACC-4", "PLT-5")
def test_2027_deadline_is_provisional_then_moves_when_the_year_is_loaded(
    api: TestClient, actors: Actors, platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    staff = auth.authenticate(platform, username="staff_a", password=PASSWORD)
    dataset = create_dataset(platform, actor=staff, data=DatasetIn.model_validate(dataset_document("ORGA")))
    received = datetime(2026, 12, 25, 2, 0, tzinfo=UTC)  # Fri 10:00 Shanghai; 5 working days reach 2027
    with caplog.at_level(logging.WARNING, logger="publicdata.workdays"):
        order = submit_open_list_change(
            platform,
            actor=staff,
            dataset_ref=dataset.code,
            change=ChangeKind.ADD,
            reason="新增",
            now=received,
        )
    assert any("provisional deadline" in r.getMessage() for r in caplog.records)

    shown = api.get(f"/api/v1/workorders/{order.id}", headers=auth_header(actors.tokens["center"])).json()
    deadline = shown["deadline"]
    assert deadline["provisional"] is True and deadline["provisional_years"] == [2027]
    assert deadline["due_date"] == "2027-01-01"  # Monday–Friday assumed: 12-28…12-31, then Fri 01-01
    assert "2027" in deadline["warning_zh"] and "2027" in deadline["warning_en"]

    admin = auth_header(actors.tokens["admin"])
    years = api.get("/api/v1/calendar/years?first_year=2026&last_year=2027", headers=admin).json()
    assert [(y["year"], y["coverage"]) for y in years] == [(2026, "library"), (2027, "provisional")]
    assert years[1]["warning_en"]

    refused = api.post(
        "/api/v1/calendar/years", files=schedule_file(), headers=auth_header(actors.tokens["center"])
    )
    assert refused.status_code == 403
    broken = dict(SCHEDULE_2027, makeup_workdays=["2027-01-04"])  # a Monday cannot be a make-up day
    bad = api.post("/api/v1/calendar/years", files=schedule_file(broken), headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_schedule"

    loaded = api.post("/api/v1/calendar/years", files=schedule_file(), headers=admin)
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["recomputed_orders"] == 1 and loaded.json()["year"]["coverage"] == "loaded"

    moved = api.get(f"/api/v1/workorders/{order.id}", headers=auth_header(actors.tokens["center"])).json()
    assert moved["deadline"]["due_date"] == "2027-01-04"  # 01-01…01-03 are New Year holidays
    assert moved["deadline"]["provisional"] is False and moved["deadline"]["warning_zh"] is None
    assert moved["history"][-1]["action"] == "deadline_recompute"
    inbox = api.get("/api/v1/me/inbox", headers=auth_header(actors.tokens["center"])).json()
    assert "workorder.deadline_moved" in [n["kind"] for n in inbox["items"]]
    years = api.get("/api/v1/calendar/years?first_year=2027&last_year=2027", headers=admin).json()
    assert years[0]["coverage"] == "loaded" and years[0]["source"].startswith("国务院办公厅")
    with platform.db.reading() as session:
        actions = list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))
    assert "calendar.year.load" in actions and "workorder.deadline.recompute" in actions


@pytest.mark.req("PLT-5")
def test_calendar_cli_loads_and_shows(
    platform: Platform, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publicdata.workdays.cli import calendar_app

    monkeypatch.setenv("PUBLICDATA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PUBLICDATA_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    try:
        path = tmp_path / "2027.json"
        path.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False), encoding="utf-8")
        runner = CliRunner()
        result = runner.invoke(calendar_app, ["load", str(path)])
        assert result.exit_code == 0, result.output
        assert "2027" in result.output
        shown = runner.invoke(calendar_app, ["show", "--first-year", "2026", "--last-year", "2028"])
        assert shown.exit_code == 0, shown.output
        assert "loaded" in shown.output and "provisional" in shown.output and "library" in shown.output
        broken = tmp_path / "bad.csv"
        broken.write_text("date,kind\n2027-13-01,holiday\n", encoding="utf-8")
        failed = runner.invoke(calendar_app, ["load", str(broken)])
        assert failed.exit_code == 2
    finally:
        get_settings.cache_clear()
