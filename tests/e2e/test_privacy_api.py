"""Privacy over HTTP: the scan report, the publication gate, desensitization rules and reprocessing, no
raw ID in any read path, overrides, k-anonymity (SEC-2, SEC-4, QUA-2)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from publicdata.app import create_app
from publicdata.audit.tables import AuditRecord
from publicdata.platform import Platform
from publicdata.privacy.desensitize import pseudonym, pseudonym_key
from publicdata.privacy.model import mask_value
from tests.helpers import Actors, auth_header, dataset_document, make_actors, valid_resident_id

FIELDS = [
    {"name": "person_name", "label": "姓名", "type": "text", "description": "申请人姓名"},
    {"name": "id_number", "label": "身份证号码", "type": "text", "description": "申请人居民身份证号码"},
    {"name": "mobile", "label": "手机号码", "type": "text", "description": "申请人手机号码"},
    {"name": "district", "label": "所在区", "type": "text", "description": "申请人所在区"},
    {"name": "age", "label": "年龄", "type": "integer", "unit": "岁", "description": "申请时的周岁年龄"},
]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊"]
DISTRICTS = ["黄浦区", "黄浦区", "徐汇区", "徐汇区", "徐汇区", "浦东新区"]
AGES = [34, 35, 41, 47, 52, 29]
IDS = [valid_resident_id(f"3101011985030{i}123") for i in range(1, 7)]
MOBILES = [f"1391234567{i}" for i in range(6)]
CSV = (
    "person_name,id_number,mobile,district,age\n"
    + "".join(
        f"{n},{i},{m},{d},{a}\n" for n, i, m, d, a in zip(NAMES, IDS, MOBILES, DISTRICTS, AGES, strict=True)
    )
).encode()
CODE = "SH-ORGA-PII"


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def as_(actors: Actors, who: str) -> dict[str, str]:
    return auth_header(actors.tokens[who])


def make_dataset(api: TestClient, actors: Actors, data: bytes = CSV, name: str = "申请.csv") -> None:
    doc = dataset_document("ORGA", code=CODE, fields=FIELDS)
    assert api.post("/api/v1/datasets", json=doc, headers=as_(actors, "staff_a")).status_code == 201
    upload(api, actors, data, name)


def upload(api: TestClient, actors: Actors, data: bytes, name: str) -> None:
    done = api.post(
        f"/api/v1/datasets/{CODE}/uploads?wait=true",
        files={"file": (name, io.BytesIO(data), "text/csv")},
        headers=as_(actors, "staff_a"),
    )
    assert done.status_code == 202 and done.json()["state"] == "succeeded", done.json()


def publish(api: TestClient, actors: Actors) -> Any:
    return api.post(f"/api/v1/datasets/{CODE}/publish", headers=as_(actors, "admin"))


def contains_raw(text: str) -> list[str]:
    return [v for v in IDS + MOBILES if v in text]


@pytest.mark.req("SEC-4", "SEC-2")
def test_raw_id_column_blocks_publication_with_the_columns_listed(api: TestClient, actors: Actors) -> None:
    make_dataset(api, actors)
    refused = publish(api, actors)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "publication_blocked"
    privacy = [d for d in error["details"] if d["gate"] == "privacy"]
    assert privacy and privacy[0]["code"] == "unprotected_personal_data"
    blocked = {c["column"]: c["detectors"] for c in privacy[0]["columns"]}
    assert blocked == {"id_number": ["resident_id"], "mobile": ["mobile"], "person_name": ["person_name"]}
    assert not contains_raw(refused.text)

    status = api.get(f"/api/v1/datasets/{CODE}/privacy", headers=as_(actors, "staff_a"))
    assert status.status_code == 200
    body = status.json()
    assert body["gate"]["passes"] is False and body["version"] == 1
    findings = {(f["column"], f["detector"]): f for f in body["scan"]["findings"]}
    ids = findings[("id_number", "resident_id")]
    assert ids["hits"] == 6 and ids["ratio"] == 1.0 and ids["confidence"] >= 0.95
    assert ids["examples"][0] == mask_value(IDS[0]) == IDS[0][:3] + "*" * 12 + IDS[0][-3:]
    assert ids["suggested_rule"] == {"column": "id_number", "kind": "mask", "keep_first": 3, "keep_last": 4}
    assert not contains_raw(status.text)  # masked examples only
    # Who may look: the provider's staff, the center, the authority; not other users.
    assert api.get(f"/api/v1/datasets/{CODE}/privacy", headers=as_(actors, "center")).status_code == 200
    assert api.get(f"/api/v1/datasets/{CODE}/privacy", headers=as_(actors, "authority")).status_code == 200
    assert api.get(f"/api/v1/datasets/{CODE}/privacy", headers=as_(actors, "staff_b")).status_code == 403
    assert api.get(f"/api/v1/datasets/{CODE}/privacy", headers=as_(actors, "person_l1")).status_code == 403
    assert api.get(f"/api/v1/datasets/{CODE}/privacy").status_code == 401


@pytest.mark.req("SEC-2", "QUA-2", "SEC-4")
def test_mask_rules_and_reprocess_publish_without_any_raw_value(
    api: TestClient, actors: Actors, platform: Platform
) -> None:
    make_dataset(api, actors)
    rules = [
        {"column": "id_number", "kind": "mask", "keep_first": 3, "keep_last": 4},
        {"column": "mobile", "kind": "pseudonym"},
        {"column": "person_name", "kind": "mask", "keep_first": 1},
        {"column": "age", "kind": "generalize", "to": "age_band"},
    ]
    assert (
        api.put(
            f"/api/v1/datasets/{CODE}/privacy/rules", json={"rules": rules}, headers=as_(actors, "staff_b")
        ).status_code
        == 403
    )
    bad = api.put(
        f"/api/v1/datasets/{CODE}/privacy/rules",
        json={"rules": [{"column": "id_number", "kind": "blur"}]},
        headers=as_(actors, "staff_a"),
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_privacy_rule"
    saved = api.put(
        f"/api/v1/datasets/{CODE}/privacy/rules", json={"rules": rules}, headers=as_(actors, "staff_a")
    )
    assert saved.status_code == 200 and saved.json()["rules"][1] == {"column": "mobile", "kind": "pseudonym"}

    done = api.post(f"/api/v1/datasets/{CODE}/privacy/reprocess", headers=as_(actors, "staff_a"))
    assert done.status_code == 201, done.json()
    assert done.json()["version"] == 2 and done.json()["from_raw"] is False
    assert done.json()["gate"]["passes"] is True and done.json()["gate"]["blocking"] == []
    assert publish(api, actors).status_code == 200

    records = api.get(f"/api/v1/datasets/{CODE}/records", params={"sort": "age"})
    assert records.status_code == 200
    rows = records.json()["records"]
    assert rows[0]["id_number"] == IDS[5][:3] + "*" * 11 + IDS[5][-4:]
    assert rows[0]["person_name"] == "杨*" and rows[0]["age"] == "20-29"
    assert rows[0]["mobile"] == pseudonym(pseudonym_key(platform.settings), MOBILES[5])
    bodies = [records.text]
    sql = api.post("/api/v1/sql", json={"sql": f'SELECT * FROM "{CODE}"'})
    assert sql.status_code == 200 and len(sql.json()["records"]) == 6
    bodies.append(sql.text)
    for fmt in ("csv", "json", "geojson"):
        got = api.get(f"/api/v1/datasets/{CODE}/download.{fmt}")
        if fmt == "geojson":
            assert got.status_code in (200, 400, 404, 422)
            continue
        assert got.status_code == 200
        bodies.append(got.content.decode("utf-8-sig"))
    xlsx = api.get(f"/api/v1/datasets/{CODE}/download.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    bodies.append(
        json.dumps([[c.value for c in r] for r in sheet.iter_rows()], ensure_ascii=False, default=str)
    )
    parquet = api.get(f"/api/v1/datasets/{CODE}/download.parquet")
    assert parquet.status_code == 200
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [_tmp_file(platform, parquet.content)])
    bodies.append(json.dumps(con.execute("SELECT * FROM t").fetchall(), ensure_ascii=False, default=str))
    assert len(bodies) == 6
    for body in bodies:
        assert IDS[0][:3] + "*" * 11 + IDS[0][-4:] in body
        assert contains_raw(body) == []
    with platform.db.reading() as session:
        actions = list(
            session.scalars(
                select(AuditRecord.action)
                .where(AuditRecord.action.like("privacy.%"))
                .order_by(AuditRecord.seq)
            )
        )
    assert actions == ["privacy.set_rules", "privacy.reprocess"]
    # The raw version 1 (made before the rules) is withheld: never served from the history either.
    old = api.get(f"/api/v1/datasets/{CODE}/versions/1/download.csv")
    assert old.status_code == 404 and old.json()["error"]["code"] == "version_withheld"
    assert api.get(f"/api/v1/datasets/{CODE}/versions/1/records").status_code == 404
    preview = api.get(f"/api/v1/datasets/{CODE}/versions/1/download.csv", headers=as_(actors, "staff_a"))
    assert preview.status_code == 200


def _tmp_file(platform: Platform, content: bytes) -> str:
    path = platform.settings.var_dir / "download.parquet"
    path.write_bytes(content)
    return str(path)


@pytest.mark.req("SEC-2", "QUA-2")
def test_rules_apply_to_new_uploads_and_raw_kept_reprocessing_uses_the_raw_file(
    api: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.settings.privacy_keep_raw = True
    doc = dataset_document("ORGA", code=CODE, fields=FIELDS)
    assert api.post("/api/v1/datasets", json=doc, headers=as_(actors, "staff_a")).status_code == 201
    rules = [{"column": "id_number", "kind": "drop"}, {"column": "mobile", "kind": "mask", "keep_last": 2}]
    rules += [{"column": "person_name", "kind": "truncate", "length": 1}]
    api.put(f"/api/v1/datasets/{CODE}/privacy/rules", json={"rules": rules}, headers=as_(actors, "staff_a"))
    upload(api, actors, CSV, "申请.csv")
    status = api.get(f"/api/v1/datasets/{CODE}/privacy", headers=as_(actors, "staff_a")).json()
    assert status["raw_kept"] is True and status["gate"]["passes"] is True
    assert [r["column"] for r in status["applied_rules"]] == ["person_name", "id_number", "mobile"]
    version = api.get(f"/api/v1/datasets/{CODE}/versions/1", headers=as_(actors, "staff_a")).json()
    assert [f["name"] for f in version["fields"]] == ["person_name", "mobile", "district", "age"]
    # New rules from the kept raw file: the pseudonym is of the raw value, not of the masked one.
    rules = [{"column": "id_number", "kind": "pseudonym"}, {"column": "mobile", "kind": "drop"}]
    rules += [{"column": "person_name", "kind": "drop"}]
    api.put(f"/api/v1/datasets/{CODE}/privacy/rules", json={"rules": rules}, headers=as_(actors, "staff_a"))
    done = api.post(f"/api/v1/datasets/{CODE}/privacy/reprocess", headers=as_(actors, "staff_a")).json()
    assert done["from_raw"] is True and done["version"] == 2
    assert publish(api, actors).status_code == 200
    rows = api.get(f"/api/v1/datasets/{CODE}/records", params={"sort": "age"}).json()["records"]
    assert set(rows[0]) >= {"id_number", "district", "age"} and "mobile" not in rows[0]
    assert rows[0]["id_number"] == pseudonym(pseudonym_key(platform.settings), IDS[5])


@pytest.mark.req("SEC-4", "SEC-2")
def test_override_needs_a_justification_holds_for_one_version_and_is_visible_to_the_center(
    api: TestClient, actors: Actors, platform: Platform
) -> None:
    make_dataset(api, actors)
    url = f"/api/v1/datasets/{CODE}/privacy/override"
    short = api.post(url, json={"justification": "需要"}, headers=as_(actors, "staff_a"))
    assert short.status_code == 422 and short.json()["error"]["code"] == "invalid_justification"
    text = "本数据为依法应当公开的行政许可公示信息，申请人已书面同意公开其姓名和联系方式。"
    assert api.post(url, json={"justification": text}, headers=as_(actors, "staff_b")).status_code == 403
    assert api.post(url, json={"justification": text}, headers=as_(actors, "center")).status_code == 403
    filed = api.post(url, json={"justification": text}, headers=as_(actors, "staff_a"))
    assert filed.status_code == 201 and filed.json()["version"] == 1
    assert publish(api, actors).status_code == 200
    listed = api.get("/api/v1/privacy/overrides", headers=as_(actors, "center"))
    assert listed.status_code == 200
    assert [(o["dataset"], o["version"], o["justification"]) for o in listed.json()] == [(CODE, 1, text)]
    assert api.get("/api/v1/privacy/overrides", headers=as_(actors, "staff_a")).status_code == 403
    # A new version with personal data is not covered by the old override.
    upload(api, actors, CSV, "v2.csv")
    status = api.get(f"/api/v1/datasets/{CODE}/privacy", headers=as_(actors, "center")).json()
    assert status["version"] == 2 and status["gate"]["passes"] is False and status["gate"]["override"] is None
    with platform.db.reading() as session:
        audited = session.scalars(select(AuditRecord).where(AuditRecord.action == "privacy.override")).all()
        assert len(audited) == 1 and json.loads(audited[0].details)["justification"] == text


@pytest.mark.req("SEC-2")
def test_k_anonymity_report(api: TestClient, actors: Actors) -> None:
    make_dataset(api, actors)
    url = f"/api/v1/datasets/{CODE}/privacy/k-anonymity"
    one = api.get(url, params={"columns": "district", "k": 3}, headers=as_(actors, "staff_a"))
    assert one.status_code == 200
    assert {
        k: one.json()[k] for k in ("rows", "groups", "smallest_group", "groups_below_k", "rows_below_k")
    } == {
        "rows": 6,
        "groups": 3,
        "smallest_group": 1,
        "groups_below_k": 2,
        "rows_below_k": 3,
    }
    assert one.json()["satisfied"] is False
    two = api.get(url, params={"columns": "district,age", "k": 2}, headers=as_(actors, "center")).json()
    assert (two["groups"], two["smallest_group"], two["rows_below_k"]) == (6, 1, 6)
    ok = api.get(url, params={"columns": "district", "k": 2}, headers=as_(actors, "staff_a")).json()
    assert ok["rows_below_k"] == 1 and ok["groups_below_k"] == 1
    bad = api.get(url, params={"columns": "nope", "k": 2}, headers=as_(actors, "staff_a"))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_column"
    assert api.get(url, params={"columns": "district"}, headers=as_(actors, "person_l1")).status_code == 403


@pytest.mark.req("SEC-2", "SEC-4")
def test_an_upload_with_personal_data_to_a_published_dataset_is_withheld_until_decided(
    api: TestClient, actors: Actors
) -> None:
    clean = "district,age\n黄浦区,34\n徐汇区,41\n".encode()
    doc = dataset_document("ORGA", code=CODE, fields=FIELDS)
    assert api.post("/api/v1/datasets", json=doc, headers=as_(actors, "staff_a")).status_code == 201
    upload(api, actors, clean, "clean.csv")
    assert publish(api, actors).status_code == 200
    upload(api, actors, CSV, "raw.csv")  # version 2: raw IDs and mobiles, dataset already published
    current = api.get(f"/api/v1/datasets/{CODE}/records")
    assert current.status_code == 404 and current.json()["error"]["code"] == "version_withheld"
    assert contains_raw(api.get(f"/api/v1/datasets/{CODE}/download.csv").text) == []
    assert contains_raw(api.post("/api/v1/sql", json={"sql": f'SELECT * FROM "{CODE}"'}).text) == []
    assert api.get(f"/api/v1/datasets/{CODE}/versions/1/records").status_code == 200  # history stays
    assert contains_raw(api.get(f"/api/v1/datasets/{CODE}/records", headers=as_(actors, "staff_a")).text)
    justification = "本数据为公示名单，依据相关法规须公开身份证号和手机号，已经法制部门审核。"
    filed = api.post(
        f"/api/v1/datasets/{CODE}/privacy/override",
        json={"justification": justification},
        headers=as_(actors, "staff_a"),
    )
    assert filed.status_code in (200, 201), filed.json()
    assert api.get(f"/api/v1/datasets/{CODE}/records").status_code == 200
