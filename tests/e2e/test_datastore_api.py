"""Data-store HTTP API: uploads, the read rule for all three open classes, records, SQL, downloads."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from publicdata.app import create_app
from publicdata.audit.tables import AuditRecord
from publicdata.datastore import export
from publicdata.datastore.api import router
from publicdata.datastore.model import EXPORT_MEDIA_TYPES
from publicdata.platform import Platform
from tests.helpers import Actors, auth_header, dataset_document, make_actors

ROWS = [
    ("人民广场站", "310101", "121.4737", '=HYPERLINK("http://x")'),
    ("陆家嘴站", "310115", "121.5055", "+1"),
    ("徐家汇站", "310104", "121.4365", "普通备注"),
    ("静安寺站", "310106", "121.4453", "@SUM(A1)"),
    ("南京东路站", "310101", "121.4840", ""),
]
CSV = ("stop_name,district_code,longitude,note\n" + "".join(",".join(r) + "\n" for r in ROWS)).encode()
CLASSES = {
    "unconditional": {},
    "conditional": {
        "open_class": "conditional",
        "grading": {"personal": 1, "organizational": 1, "object": 3},
        "conditions": [{"kind": "scenario", "description": "仅限公共服务场景"}],
        "application_materials": ["应用场景说明"],
    },
    "not_open": {
        "open_class": "not_open",
        "grading": {"personal": 4, "organizational": 1, "object": 1},
        "not_open_reason": "trade_secret_privacy",
    },
}


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    app = create_app(platform)
    if not any(getattr(r, "path", "") == "/api/v1/sql" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def as_(actors: Actors, who: str) -> dict[str, str]:
    return auth_header(actors.tokens[who])


def make_dataset(
    api: TestClient, actors: Actors, code: str, open_class: str = "unconditional", publish: bool = True
) -> str:
    doc = dataset_document("ORGA", code=code, **CLASSES[open_class])
    created = api.post("/api/v1/datasets", json=doc, headers=as_(actors, "staff_a"))
    assert created.status_code == 201, created.json()
    upload(api, actors, code, CSV, "站点.csv")
    if publish:
        published = api.post(f"/api/v1/datasets/{code}/publish", headers=as_(actors, "admin"))
        assert published.status_code == 200, published.json()
    return code


def upload(api: TestClient, actors: Actors, code: str, data: bytes, name: str, who: str = "staff_a") -> Any:
    response = api.post(
        f"/api/v1/datasets/{code}/uploads?wait=true",
        files={"file": (name, io.BytesIO(data), "text/csv")},
        headers=as_(actors, who),
    )
    return response


@pytest.fixture
def open_data(api: TestClient, actors: Actors) -> str:
    return make_dataset(api, actors, "SH-ORGA-OPEN")


# ---------------------------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------------------------


@pytest.mark.req("QUA-2")
def test_only_the_providers_staff_upload(api: TestClient, actors: Actors, open_data: str) -> None:
    done = upload(api, actors, open_data, CSV, "v2.csv")
    assert done.status_code == 202 and done.json()["state"] == "succeeded" and done.json()["version"] == 2
    assert upload(api, actors, open_data, CSV, "x.csv", who="staff_b").status_code == 403
    assert upload(api, actors, open_data, CSV, "x.csv", who="person_l1").status_code == 403
    assert upload(api, actors, open_data, CSV, "x.csv", who="anonymous").status_code == 401
    job = api.get(
        f"/api/v1/datasets/{open_data}/ingest-jobs/{done.json()['id']}", headers=as_(actors, "staff_a")
    )
    assert job.json()["progress"] == 100
    queued = api.post(
        f"/api/v1/datasets/{open_data}/uploads",
        files={"file": ("g.csv", io.BytesIO("名称\n甲\n".encode("gbk")), "text/csv")},
        data={"encoding": "gbk"},
        headers=as_(actors, "staff_a"),
    )
    assert queued.status_code == 202 and queued.json()["state"] in ("queued", "running", "succeeded")


@pytest.mark.req("QUA-2", "CAT-7")
def test_schema_override_before_publication_then_frozen_inherited(api: TestClient, actors: Actors) -> None:
    code = make_dataset(api, actors, "SH-ORGA-TYPES", publish=False)
    url = f"/api/v1/datasets/{code}/versions/1/schema"
    changed = api.patch(url, json={"types": {"district_code": "integer"}}, headers=as_(actors, "staff_a"))
    assert changed.status_code == 200
    assert {f["name"]: f["type"] for f in changed.json()["fields"]}["district_code"] == "integer"
    assert (
        api.patch(url, json={"types": {"stop_name": "integer"}}, headers=as_(actors, "staff_a")).status_code
        == 400
    )
    assert api.patch(url, json={"types": {"x": "text"}}, headers=as_(actors, "staff_b")).status_code == 403
    assert api.post(f"/api/v1/datasets/{code}/publish", headers=as_(actors, "admin")).status_code == 200
    record = api.get(f"/api/v1/datasets/{code}/records", params={"district_code__gte": "310106"}).json()
    assert [r["district_code"] for r in record["records"]] == [310115, 310106]
    # Published: the types are fixed …
    frozen = api.patch(url, json={"types": {"longitude": "text"}}, headers=as_(actors, "staff_a"))
    assert frozen.status_code == 409 and frozen.json()["error"]["code"] == "schema_frozen"
    # … and a new upload keeps the declared type instead of the inferred one.
    assert upload(api, actors, code, CSV, "v2.csv").json()["version"] == 2
    v2 = api.get(f"/api/v1/datasets/{code}/versions/2", headers=as_(actors, "staff_a")).json()
    assert v2["overrides"] == {"district_code": "integer"}
    assert {f["name"]: f["type"] for f in v2["fields"]}["district_code"] == "integer"


# ---------------------------------------------------------------------------------------------
# The read rule, all three classes (ACC-1)
# ---------------------------------------------------------------------------------------------

READERS = ("anonymous", "person_l0", "person_l1", "company", "staff_b", "center", "authority", "admin")


@pytest.mark.req("ACC-1", "ACC-6", "PLT-12")
def test_unconditional_data_is_open_to_anonymous_callers(
    api: TestClient, actors: Actors, open_data: str
) -> None:
    for who in READERS:
        response = api.get(f"/api/v1/datasets/{open_data}/records", headers=as_(actors, who))
        assert response.status_code == 200, who
        assert len(response.json()["records"]) == len(ROWS)
        assert (
            api.get(f"/api/v1/datasets/{open_data}/download.csv", headers=as_(actors, who)).status_code == 200
        )


@pytest.mark.req("ACC-1", "ACC-6")
@pytest.mark.parametrize("open_class", ["conditional", "not_open"])
def test_conditional_and_not_open_rows_are_never_returned_without_a_grant(
    api: TestClient, actors: Actors, open_class: str
) -> None:
    code = make_dataset(api, actors, f"SH-ORGA-{open_class.upper().replace('_', '')}", open_class)
    for who in READERS:
        headers = as_(actors, who)
        records = api.get(f"/api/v1/datasets/{code}/records", headers=headers)
        assert records.status_code == (401 if who == "anonymous" and open_class == "conditional" else 403), (
            who
        )
        assert "records" not in records.json()
        assert api.get(f"/api/v1/datasets/{code}/download.csv", headers=headers).status_code in (401, 403)
        assert api.get(f"/api/v1/datasets/{code}/versions/1/download.json", headers=headers).status_code in (
            401,
            403,
        )
        sql = api.post("/api/v1/sql", json={"sql": f'SELECT * FROM "{code}"'}, headers=headers)
        assert sql.status_code == 400 and "records" not in sql.json(), who
    # The owning provider's staff preview their own data; that read of conditional data is audited.
    own = api.get(f"/api/v1/datasets/{code}/records", headers=as_(actors, "staff_a"))
    assert own.status_code == 200 and len(own.json()["records"]) == len(ROWS)


@pytest.mark.req("ACC-1")
def test_unpublished_data_is_hidden_but_previewable_by_its_provider_and_reviewers(
    api: TestClient, actors: Actors
) -> None:
    code = make_dataset(api, actors, "SH-ORGA-DRAFT", publish=False)
    for who in ("anonymous", "person_l1", "staff_b", "authority"):
        assert api.get(f"/api/v1/datasets/{code}/records", headers=as_(actors, who)).status_code == 404, who
    for who in ("staff_a", "center", "admin"):
        assert api.get(f"/api/v1/datasets/{code}/records", headers=as_(actors, who)).status_code == 200, who


@pytest.mark.req("PLT-8")
def test_conditional_queries_and_all_downloads_are_audited(
    api: TestClient, actors: Actors, platform: Platform, open_data: str
) -> None:
    code = make_dataset(api, actors, "SH-ORGA-COND", "conditional")
    api.get(f"/api/v1/datasets/{code}/records", headers=as_(actors, "staff_a"))
    api.post("/api/v1/sql", json={"sql": f'SELECT count(*) FROM "{code}"'}, headers=as_(actors, "staff_a"))
    api.get(f"/api/v1/datasets/{open_data}/records")  # unconditional query: not audited
    api.get(f"/api/v1/datasets/{open_data}/download.csv")
    with platform.db.reading() as session:
        actions = list(
            session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("datastore.%")))
        )
    assert actions.count("datastore.query") == 2
    assert actions.count("datastore.download") == 1


# ---------------------------------------------------------------------------------------------
# Records API
# ---------------------------------------------------------------------------------------------


def get_records(api: TestClient, code: str, params: Any) -> Any:
    return api.get(f"/api/v1/datasets/{code}/records", params=params)


@pytest.mark.req("ACC-6", "PLT-12")
def test_filters_ranges_text_search_fields_sort(api: TestClient, open_data: str) -> None:
    def names(params: Any) -> list[str]:
        response = get_records(api, open_data, params)
        assert response.status_code == 200, response.json()
        return [r["stop_name"] for r in response.json()["records"]]

    assert names({"district_code": "310101", "sort": "stop_name"}) == ["人民广场站", "南京东路站"]
    assert names([("district_code", "310104"), ("district_code", "310106"), ("sort", "-longitude")]) == [
        "静安寺站",
        "徐家汇站",
    ]
    assert names({"district_code__in": "310104,310115", "sort": "longitude"}) == ["徐家汇站", "陆家嘴站"]
    assert names({"longitude__gte": "121.44", "longitude__lt": "121.48", "sort": "longitude"}) == [
        "静安寺站",
        "人民广场站",
    ]
    assert names({"q": "广场"}) == ["人民广场站"]
    assert names({"q": "东路"}) == ["南京东路站"]
    body = get_records(
        api, open_data, {"fields": "longitude,stop_name", "sort": "-longitude", "limit": 2}
    ).json()
    assert body["fields"] == [{"name": "longitude", "type": "decimal"}, {"name": "stop_name", "type": "text"}]
    assert body["records"][0] == {"longitude": 121.5055, "stop_name": "陆家嘴站"}
    assert body["total"] is None
    assert (
        get_records(api, open_data, {"include_total": "true", "district_code": "310101"}).json()["total"] == 2
    )


@pytest.mark.req("ACC-6")
@pytest.mark.parametrize("sort", ["", "-district_code", "district_code,-longitude", "note"])
def test_keyset_pagination_walks_every_row_once(api: TestClient, open_data: str, sort: str) -> None:
    full = get_records(api, open_data, {"sort": sort, "limit": 100}).json()["records"]
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"sort": sort, "limit": 2}
    while True:
        page = get_records(api, open_data, params).json()
        seen += page["records"]
        if not page["next"]:
            break
        params["next"] = page["next"]
    assert seen == full and len(seen) == len(ROWS)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"nope": "1"}, "nope"),
        ({"sort": "-nope"}, "sort"),
        ({"fields": "stop_name,nope"}, "fields"),
        ({"longitude__gte": "abc"}, "longitude__gte"),
        ({"limit": "100000"}, "limit"),
        ({"next": "garbage"}, "next"),
    ],
)
def test_invalid_parameters_give_a_clear_400(
    api: TestClient, open_data: str, params: Any, parameter: str
) -> None:
    response = get_records(api, open_data, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_query" and error["details"]["parameter"] == parameter
    assert error["message_en"] and error["message_zh"]


# ---------------------------------------------------------------------------------------------
# SQL
# ---------------------------------------------------------------------------------------------


@pytest.mark.req("ACC-6", "PLT-12")
def test_sql_select_over_readable_datasets(api: TestClient, open_data: str) -> None:
    response = api.post(
        "/api/v1/sql",
        json={
            "sql": 'SELECT district_code, count(*) AS n FROM "SH-ORGA-OPEN" '
            "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1"
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["records"] == [{"district_code": "310101", "n": 2}]
    alias = api.post(
        "/api/v1/sql", json={"sql": "select stop_name from sh_orga_open where longitude > 121.5"}
    )
    assert alias.json()["records"] == [{"stop_name": "陆家嘴站"}]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "COPY (SELECT * FROM sh_orga_open) TO '/tmp/leak.csv'",
        "ATTACH '/tmp/other.db' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA database_list",
        "SET enable_external_access = true",
        "SELECT 1; SELECT 2",
        "SELECT * FROM sh_orga_open; DROP TABLE sh_orga_open",
        "SELECT getenv('HOME')",
        "SELECT current_setting('memory_limit')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM main.sh_orga_open",
        "SELECT * FROM sh_orga_secret",
        "CREATE TABLE x AS SELECT 1",
        "DELETE FROM sh_orga_open",
        "SELECT 1",
        "",
    ],
)
def test_sql_escapes_are_refused_with_400(api: TestClient, open_data: str, sql: str) -> None:
    response = api.post("/api/v1/sql", json={"sql": sql})
    assert response.status_code == 400, (sql, response.json())
    assert response.json()["error"]["code"] == "sql_refused"


def test_sql_row_cap_and_time_limit(api: TestClient, platform: Platform, open_data: str) -> None:
    platform.settings.datastore_sql_max_rows = 2
    capped = api.post("/api/v1/sql", json={"sql": "SELECT * FROM sh_orga_open"}).json()
    assert capped["row_count"] == 2 and capped["truncated"] is True
    platform.settings.datastore_sql_max_rows = 10
    platform.settings.datastore_sql_timeout_seconds = 0.2
    slow = "SELECT count(*) FROM " + ", ".join(f"sh_orga_open t{i}" for i in range(12))
    response = api.post("/api/v1/sql", json={"sql": slow})
    assert response.status_code == 400 and "longer than" in response.json()["error"]["message_en"]


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------


@pytest.mark.req("ACC-1", "PLT-12")
def test_csv_download_headers_bom_and_formula_injection(api: TestClient, open_data: str) -> None:
    response = api.get(f"/api/v1/datasets/{open_data}/download.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    name = "公交站点基本信息_2024年_全市.csv"
    assert f"filename*=UTF-8''{quote(name)}" in response.headers["content-disposition"]
    assert int(response.headers["content-length"]) == len(response.content)
    text = response.content.decode("utf-8")
    assert not response.content.startswith(b"\xef\xbb\xbf")
    assert text.splitlines()[0] == "stop_name,district_code,longitude,note"
    assert "'=HYPERLINK" in text and "'+1" in text and "'@SUM(A1)" in text
    assert "人民广场站" in text
    bom = api.get(f"/api/v1/datasets/{open_data}/download.csv", params={"bom": 1})
    assert bom.content.startswith(b"\xef\xbb\xbf") and bom.content[3:] == response.content


@pytest.mark.req("PLT-12", "CAT-7")
def test_xlsx_json_parquet_and_version_downloads(api: TestClient, actors: Actors, open_data: str) -> None:
    xlsx = api.get(f"/api/v1/datasets/{open_data}/download.xlsx")
    assert xlsx.headers["content-type"] == EXPORT_MEDIA_TYPES["xlsx"]
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    cells = [row for row in sheet.iter_rows(values_only=True)]
    assert cells[1][0] == "人民广场站" and cells[1][3] == '\'=HYPERLINK("http://x")'
    data = api.get(f"/api/v1/datasets/{open_data}/download.json")
    assert (
        data.headers["content-type"].startswith("application/json")
        and data.json()[0]["stop_name"] == "人民广场站"
    )
    parquet = api.get(f"/api/v1/datasets/{open_data}/download.parquet")
    assert parquet.content[:4] == b"PAR1"
    upload(
        api, actors, open_data, CSV.splitlines(keepends=True)[0] + CSV.splitlines(keepends=True)[1], "v2.csv"
    )
    old = api.get(f"/api/v1/datasets/{open_data}/versions/1/download.csv")
    assert old.status_code == 200 and len(old.content.splitlines()) == len(ROWS) + 1
    assert "_v1.csv" in old.headers["content-disposition"]
    assert len(api.get(f"/api/v1/datasets/{open_data}/download.csv").content.splitlines()) == 2
    assert api.get(f"/api/v1/datasets/{open_data}/download.geojson").status_code == 422
    assert api.get(f"/api/v1/datasets/{open_data}/download.exe").status_code == 404
    assert api.get(f"/api/v1/datasets/{open_data}/versions/9/download.csv").status_code == 404


def test_xlsx_beyond_excels_row_limit_points_to_csv_or_parquet(
    api: TestClient, open_data: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "XLSX_MAX_DATA_ROWS", 3)  # the same check as 1,048,575 rows, faster
    response = api.get(f"/api/v1/datasets/{open_data}/download.xlsx")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "too_many_rows_for_xlsx" and error["details"]["alternatives"] == [
        "csv",
        "parquet",
    ]


@pytest.mark.req("PLT-12")
def test_geojson_round_trip_download(api: TestClient, actors: Actors) -> None:
    doc = dataset_document("ORGA", code="SH-ORGA-GEO")
    assert api.post("/api/v1/datasets", json=doc, headers=as_(actors, "staff_a")).status_code == 201
    geo = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"人民广场"},'
        '"geometry":{"type":"Polygon","coordinates":[[[121.4,31.2],[121.5,31.2],[121.5,31.3],[121.4,31.2]]]}}]}'
    )
    assert upload(api, actors, "SH-ORGA-GEO", geo.encode(), "p.geojson").json()["state"] == "succeeded"
    api.post("/api/v1/datasets/SH-ORGA-GEO/publish", headers=as_(actors, "admin"))
    out = api.get("/api/v1/datasets/SH-ORGA-GEO/download.geojson")
    assert out.headers["content-type"] == "application/geo+json"
    feature = out.json()["features"][0]
    assert feature["properties"] == {"name": "人民广场"}
    assert feature["geometry"] == {
        "type": "Polygon",
        "coordinates": [[[121.4, 31.2], [121.5, 31.2], [121.5, 31.3], [121.4, 31.2]]],
    }


# ---------------------------------------------------------------------------------------------
# Rate limits
# ---------------------------------------------------------------------------------------------


@pytest.mark.req("ACC-10")
def test_rate_limit_answers_429_with_retry_after(
    api: TestClient, actors: Actors, platform: Platform, open_data: str
) -> None:
    platform.settings.datastore_rate_limit_anonymous_per_minute = 3
    platform.settings.datastore_rate_limit_token_per_minute = 5
    url = f"/api/v1/datasets/{open_data}/records"
    assert [api.get(url).status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get(url)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "too_many_requests"
    # A token has its own, larger bucket.
    assert [api.get(url, headers=as_(actors, "person_l1")).status_code for _ in range(6)] == [200] * 5 + [429]


@pytest.mark.req("ACC-6")
def test_not_a_number_and_infinity_are_answered_as_null(
    api: TestClient, actors: Actors, open_data: str
) -> None:
    data = "stop_name,ratio\n甲站,1.5\n乙站,nan\n丙站,inf\n丁站,-inf\n".encode()
    assert upload(api, actors, open_data, data, "ratios.csv").json()["state"] == "succeeded"
    response = api.get(f"/api/v1/datasets/{open_data}/records", params={"sort": "stop_name"})
    assert response.status_code == 200, response.text
    assert {r["stop_name"]: r["ratio"] for r in response.json()["records"]} == {
        "甲站": 1.5,
        "乙站": None,
        "丙站": None,
        "丁站": None,
    }
