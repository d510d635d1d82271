"""Quality reports per version, score, work order, monitor, dataset-page panel (QUA-1, CAT-8) over HTTP."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publicdata.platform import Platform
from publicdata.workorders.tables import WorkOrder
from tests.helpers import (
    Actors,
    auth_header,
    dataset_document,
    make_actors,
    valid_credit_code,
    valid_resident_id,
)

DISTRICTS = ["310101", "310104", "310105", "310106", "310115"]
FIELDS = [
    {"name": "record_id", "label": "记录编号", "type": "text", "description": "每条记录的唯一编号"},
    {"name": "district_code", "label": "区划代码", "type": "text", "description": "所在区的行政区划代码"},
    {"name": "amount", "label": "金额", "type": "integer", "unit": "元", "description": "登记的金额（元）"},
    {"name": "report_date", "label": "填报日期", "type": "date", "description": "记录的填报日期"},
    {
        "name": "credit_code",
        "label": "统一社会信用代码",
        "type": "text",
        "description": "企业的统一社会信用代码",
    },
    {"name": "id_card", "label": "身份证号码", "type": "text", "description": "经办人的居民身份证号码"},
    {"name": "note", "label": "备注", "type": "text", "description": "记录的补充说明"},
]
HEADER = "record_id,district_code,amount,report_date,credit_code,id_card,note,source\n"


def base_rows() -> list[list[str]]:
    rows = []
    for i in range(1, 21):
        rows.append(
            [
                f"R{i:03d}",
                DISTRICTS[i % len(DISTRICTS)],
                str(10 * i),
                f"2024-01-{i:02d}",
                valid_credit_code(f"91310115MA1FL3X{i:02d}"),
                valid_resident_id(f"310115199003071{i:02d}"),
                f"备注{i}",
                "台账",
            ]
        )
    return rows


def csv_bytes(rows: list[list[str]]) -> bytes:
    return (HEADER + "".join(",".join(r) + "\n" for r in rows)).encode()


def without_identifiers(rows: list[list[str]]) -> bytes:
    """The file without the identifier columns (personal data would stop publication: privacy gate)."""
    header = "record_id,district_code,amount,report_date,note,source\n"
    return (header + "".join(",".join(r[:4] + r[6:]) + "\n" for r in rows)).encode()


def defective_rows() -> list[list[str]]:
    rows = base_rows()
    rows[2][6] = ""  # row 3: empty note
    rows[3][6] = ""  # row 4: empty note
    rows[6][2] = "abc"  # row 7: amount not an integer
    rows[7][3] = "2024-13-45"  # row 8: not a date
    rows[8][2] = "5000"  # row 9: above max 1000
    good = rows[9][4]
    rows[9][4] = good[:-1] + ("0" if good[-1] != "0" else "1")  # row 10: bad credit-code check digit
    rid = rows[10][5]
    rows[10][5] = rid[:-1] + ("0" if rid[-1] != "0" else "1")  # row 11: bad resident-id checksum
    rows[11][1] = "310199"  # row 12: no such district
    rows.append([""] * 8)  # row 21: fully empty
    rows.append(list(rows[4]))  # row 22: duplicate of row 5 (also repeats key R005)
    other = list(rows[5])
    other[6] = "另一条"
    rows.append(other)  # row 23: repeats key R006 with other values
    return rows


# (check, column) → (count, example rows) of defective_rows() with the key and max 1000 configured.
SEEDED_FINDINGS = {
    ("empty_values", "note"): (2, [3, 4]),
    ("empty_rows", None): (1, [21]),
    ("duplicate_rows", None): (1, [22]),
    ("duplicate_keys", "record_id"): (2, [22, 23]),
    ("type_errors", "amount"): (1, [7]),
    ("type_errors", "report_date"): (1, [8]),
    ("out_of_range", "amount"): (1, [9]),
    ("invalid_identifiers", "credit_code"): (1, [10]),
    ("invalid_identifiers", "id_card"): (1, [11]),
    ("inconsistent_codes", "district_code"): (1, [12]),
}


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def as_(actors: Actors, who: str) -> dict[str, str]:
    return auth_header(actors.tokens[who])


def create(client: TestClient, actors: Actors, code: str, **overrides: Any) -> None:
    doc = dataset_document("ORGA", code=code, fields=FIELDS, **overrides)
    created = client.post("/api/v1/datasets", json=doc, headers=as_(actors, "staff_a"))
    assert created.status_code == 201, created.json()


def upload(client: TestClient, actors: Actors, code: str, data: bytes) -> None:
    response = client.post(
        f"/api/v1/datasets/{code}/uploads?wait=true",
        files={"file": ("data.csv", io.BytesIO(data), "text/csv")},
        headers=as_(actors, "staff_a"),
    )
    assert response.status_code == 202 and response.json()["state"] == "succeeded", response.json()


def configure(client: TestClient, actors: Actors, code: str, who: str = "staff_a") -> Any:
    return client.put(
        f"/api/v1/datasets/{code}/quality/config",
        json={"key_columns": ["record_id"], "constraints": {"amount": {"min": 0, "max": 1000}}},
        headers=as_(actors, who),
    )


def findings_by(report: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(f["check"], f["column"]): f for f in report["findings"]}


@pytest.mark.req("QUA-1")
def test_seeded_defects_are_each_found_with_exact_counts(client: TestClient, actors: Actors) -> None:
    create(client, actors, "SH-ORGA-Q1")
    assert configure(client, actors, "SH-ORGA-Q1").status_code == 200
    upload(client, actors, "SH-ORGA-Q1", csv_bytes(defective_rows()))
    body = client.get("/api/v1/datasets/SH-ORGA-Q1/quality", headers=as_(actors, "staff_a")).json()
    report = body["latest"]
    assert report["version"] == 1 and report["row_count"] == 23
    found = findings_by(report)
    expected = SEEDED_FINDINGS
    for key, (count, rows) in expected.items():
        assert key in found, key
        assert found[key]["count"] == count, (key, found[key])
        assert [e["row"] for e in found[key]["examples"]] == rows, key
    doc = found[("missing_columns", None)]
    assert doc["count"] == 1 and doc["examples"][0]["value"] == "source"
    assert set(found) == set(expected) | {("missing_columns", None)}
    assert found[("duplicate_rows", None)]["examples"][0]["same_as_row"] == 5
    assert found[("type_errors", "amount")]["examples"][0]["value"] == "abc"
    assert report["breakdown"]["timeliness"] == 100.0

    # The clean file scores higher (only the documentation finding remains).
    upload(client, actors, "SH-ORGA-Q1", csv_bytes(base_rows()))
    body = client.get("/api/v1/datasets/SH-ORGA-Q1/quality", headers=as_(actors, "staff_a")).json()
    assert [h["version"] for h in body["history"]] == [1, 2]
    clean, defective = body["history"][1]["score"], body["history"][0]["score"]
    assert clean > defective and clean == 99
    assert [f["check"] for f in body["latest"]["findings"]] == ["missing_columns"]


@pytest.mark.req("QUA-1")
def test_config_is_for_the_providers_staff_and_validated(client: TestClient, actors: Actors) -> None:
    create(client, actors, "SH-ORGA-Q2")
    assert configure(client, actors, "SH-ORGA-Q2", who="staff_b").status_code == 403
    assert configure(client, actors, "SH-ORGA-Q2", who="anonymous").status_code == 401
    bad = client.put(
        "/api/v1/datasets/SH-ORGA-Q2/quality/config",
        json={"key_columns": ["nope"], "constraints": {"amount": {"min": 5, "max": 1}}},
        headers=as_(actors, "staff_a"),
    )
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"key_columns[0]", "constraints.amount"}


@pytest.mark.req("QUA-1", "CAT-8")
def test_low_score_opens_one_work_order_and_the_monitor_shows_it(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.settings.quality_work_order_below = 95
    create(client, actors, "SH-ORGA-Q3")
    configure(client, actors, "SH-ORGA-Q3")
    upload(client, actors, "SH-ORGA-Q3", csv_bytes(defective_rows()))
    upload(client, actors, "SH-ORGA-Q3", csv_bytes(defective_rows()))
    with platform.db.reading() as session:
        orders = list(session.scalars(select(WorkOrder).where(WorkOrder.type == "quality_fix")))
        assert len(orders) == 1
        order = orders[0]
        order_id = order.id
        assert order.state == "open" and order.responsible_role == "provider_staff"
        assert order.responsible_org_id == actors.org_a and order.sla_working_days == 10
    body = client.get("/api/v1/datasets/SH-ORGA-Q3/quality", headers=as_(actors, "staff_a")).json()
    assert body["open_work_order"]["id"] == order_id and body["latest"]["work_order_id"] == order_id

    monitor = client.get("/api/v1/quality/monitor", headers=as_(actors, "center"))
    assert monitor.status_code == 200, monitor.json()
    data = monitor.json()
    assert data["threshold"] == 95
    assert [d["code"] for d in data["below_threshold"]] == ["SH-ORGA-Q3"]
    assert data["below_threshold"][0]["work_order_id"] == order_id
    orga = next(p for p in data["providers"] if p["provider"]["code"] == "ORGA")
    assert orga["below"] == 1 and orga["average_score"] == body["latest"]["score"]
    assert (
        client.get("/api/v1/quality/monitor?below=10", headers=as_(actors, "authority")).json()[
            "below_threshold"
        ]
        == []
    )
    assert (
        client.get("/api/v1/quality/monitor?provider=ORGB", headers=as_(actors, "admin")).json()["providers"]
        == []
    )
    assert client.get("/api/v1/quality/monitor", headers=as_(actors, "staff_a")).status_code == 403
    assert client.get("/api/v1/quality/monitor").status_code == 401

    # The provider fixes it (a note is required); the next bad version opens a new order.
    url = f"/api/v1/workorders/{order_id}/actions"
    assert (
        client.post(url, json={"action": "fix", "note": ""}, headers=as_(actors, "staff_a")).status_code
        == 422
    )
    fixed = client.post(url, json={"action": "fix", "note": "已更正"}, headers=as_(actors, "staff_a"))
    assert fixed.status_code == 200, fixed.json()
    assert fixed.json()["state"] == "fixed"
    upload(client, actors, "SH-ORGA-Q3", csv_bytes(defective_rows()))
    with platform.db.reading() as session:
        second = session.scalar(
            select(WorkOrder.id).where(WorkOrder.type == "quality_fix", WorkOrder.closed_at.is_(None))
        )
    assert second not in (None, order_id)
    # The center may close it without a fix; other providers' staff do not even see it.
    url = f"/api/v1/workorders/{second}/actions"
    assert (
        client.post(url, json={"action": "fix", "note": "x"}, headers=as_(actors, "staff_b")).status_code
        == 404
    )
    closed = client.post(url, json={"action": "close", "note": "接受现状"}, headers=as_(actors, "center"))
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


@pytest.mark.req("QUA-1", "CAT-8")
def test_panel_on_the_dataset_page_and_its_json_twin(client: TestClient, actors: Actors) -> None:
    create(client, actors, "SH-ORGA-Q4")
    configure(client, actors, "SH-ORGA-Q4")
    upload(client, actors, "SH-ORGA-Q4", without_identifiers(defective_rows()))
    assert client.post("/api/v1/datasets/SH-ORGA-Q4/publish", headers=as_(actors, "admin")).status_code == 200
    twin = client.get("/datasets/SH-ORGA-Q4.json").json()
    panel = twin["panels"]["quality"]
    score = client.get("/api/v1/datasets/SH-ORGA-Q4/quality").json()["latest"]["score"]
    assert panel["score"] == score
    assert [b["dimension"] for b in panel["breakdown"]][:2] == ["completeness", "uniqueness"]
    assert panel["findings"][0]["severity"] == "error" and len(panel["findings"]) == 5
    assert panel["update"]["frequency"] == "monthly" and panel["update"]["overdue"] is False
    html = client.get("/datasets/SH-ORGA-Q4").text
    assert 'aria-labelledby="quality-h"' in html and "质量评分" in html and f">{score}<" in html
    english = client.get("/datasets/SH-ORGA-Q4?lang=en").text
    assert "Quality score" in english and "Main findings" in english


@pytest.mark.req("QUA-1")
def test_every_panel_message_has_an_english_translation() -> None:
    import re
    from pathlib import Path

    from publicdata.web import i18n

    template = Path(i18n.__file__).parent / "templates" / "panels" / "quality.html"
    ids = {m.group(2) for m in re.finditer(r"""_\((["'])(.+?)\1\)""", template.read_text("utf-8"))}
    english = i18n.gettext_for("en")
    assert len(ids) > 20
    assert sorted(i for i in ids if english(i) == i) == []
