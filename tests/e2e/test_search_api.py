"""Search over HTTP: the index follows the catalog in the same transaction, visibility, downloads sort,
codes, and the reindex command."""

from __future__ import annotations

import io
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import delete
from typer.testing import CliRunner

from publicdata.platform import Platform
from publicdata.search.tables import SearchDocument
from tests.helpers import Actors, auth_header, dataset_document, make_actors


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def create(client: TestClient, actors: Actors, **overrides: object) -> dict[str, Any]:
    response = client.post(
        "/api/v1/datasets",
        json=dataset_document("ORGA", **overrides),
        headers=auth_header(actors.tokens["staff_a"]),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def search(client: TestClient, token: str | None = None, **params: object) -> dict[str, Any]:
    response = client.get("/api/v1/datasets", params=params, headers=auth_header(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def found(client: TestClient, q: str, token: str | None = None) -> list[str]:
    return [item["code"] for item in search(client, token, q=q)["items"]]


@pytest.mark.req("PLT-3")
def test_the_index_follows_create_edit_publish_and_withdraw(client: TestClient, actors: Actors) -> None:
    d = create(client, actors, name="上海市河道水质监测站点信息（2024年）", tags=["监测"])
    code = d["code"]
    staff, admin = actors.tokens["staff_a"], actors.tokens["admin"]
    # A draft is found by its own provider and the administrator, never by the public or another provider.
    assert found(client, "河道水质", staff) == [code]
    assert found(client, "河道水质", admin) == [code]
    assert found(client, "河道水质") == []
    assert found(client, "河道水质", actors.tokens["staff_b"]) == []
    # Editing a draft reindexes it: the new name is found, the old one is not.
    patched = client.patch(
        f"/api/v1/datasets/{code}",
        json={"revision": d["revision"], "name": "上海市排水泵站运行数据（小时）"},
        headers=auth_header(staff),
    )
    assert patched.status_code == 200, patched.text
    assert found(client, "排水泵站", staff) == [code]
    assert found(client, "河道水质", staff) == []
    # Published: everyone finds it.
    assert client.post(f"/api/v1/datasets/{code}/publish", headers=auth_header(admin)).status_code == 200
    assert found(client, "排水泵站") == [code]
    # Withdrawn: gone for the public again.
    changed = client.post(
        f"/api/v1/datasets/{code}/state",
        json={"state": "withdrawn", "reason": "源系统下线"},
        headers=auth_header(admin),
    )
    assert changed.status_code == 200, changed.text
    assert found(client, "排水泵站") == []
    assert found(client, "排水泵站", admin) == [code]


@pytest.mark.req("PLT-3")
def test_numeric_codes_and_field_labels_are_searchable(client: TestClient, actors: Actors) -> None:
    admin = auth_header(actors.tokens["admin"])
    d = create(
        client,
        actors,
        name="12345市民服务热线工单统计（月度）",
        summary="12345市民服务热线受理的诉求工单按月、按区、按类别的数量统计，由热线管理办公室汇总。",
        tags=["12345", "热线"],
    )
    client.post(f"/api/v1/datasets/{d['code']}/publish", headers=admin)
    other = create(client, actors)
    client.post(f"/api/v1/datasets/{other['code']}/publish", headers=admin)
    assert found(client, "12345") == [d["code"]]
    assert found(client, "12345 热线") == [d["code"]]
    assert found(client, d["code"]) == [d["code"]]
    # Field labels (经度) and provider names (上海市测试委员会A) reach both entries.
    assert set(found(client, "经度")) == {d["code"], other["code"]}
    assert set(found(client, "测试委员会")) == {d["code"], other["code"]}
    hit = search(client, q="热线")["items"][0]
    assert "<mark>热线</mark>" in hit["highlight"]["name"]


@pytest.mark.req("PLT-3")
def test_most_downloaded_sort_counts_audited_downloads(client: TestClient, actors: Actors) -> None:
    admin = auth_header(actors.tokens["admin"])
    staff = auth_header(actors.tokens["staff_a"])
    codes = []
    for name in ("公交站点甲表（2024年）", "公交站点乙表（2024年）"):
        d = create(client, actors, name=name)
        content = "站点名称\n人民广场\n".encode()
        r = client.post(
            f"/api/v1/datasets/{d['code']}/resources/file",
            files={"file": ("站点.csv", io.BytesIO(content), "text/csv")},
            headers=staff,
        )
        assert r.status_code == 201, r.text
        client.post(f"/api/v1/datasets/{d['code']}/publish", headers=admin)
        codes.append((d["code"], r.json()["id"]))
    (first, _), (second, second_file) = codes
    for _ in range(3):
        assert client.get(f"/api/v1/datasets/{second}/resources/{second_file}/file").status_code == 200
    body = search(client, q="公交站点", sort="downloads")
    assert [i["code"] for i in body["items"]] == [second, first]
    assert [i["download_count"] for i in body["items"]] == [3, 0]
    newest = search(client, q="公交站点", sort="newest")
    assert [i["code"] for i in newest["items"]] == [second, first]


@pytest.mark.req("PLT-3")
def test_reindex_rebuilds_a_lost_index(
    client: TestClient, actors: Actors, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publicdata.search.cli import search_app

    cli = typer.Typer()  # wired like `publicdata search reindex`
    cli.add_typer(search_app, name="search")

    d = create(client, actors, name="上海市公共充电桩分布（2024年）")
    client.post(f"/api/v1/datasets/{d['code']}/publish", headers=auth_header(actors.tokens["admin"]))
    with platform.db.transaction() as session:
        session.execute(delete(SearchDocument))
    assert found(client, "充电桩") == []
    monkeypatch.setenv("PUBLICDATA_DATABASE_URL", platform.settings.database_url)
    monkeypatch.setenv("PUBLICDATA_VAR_DIR", str(platform.settings.var_dir))
    from publicdata.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["search", "reindex"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "reindexed 1 datasets" in result.output
    assert found(client, "充电桩") == [d["code"]]


@pytest.mark.req("PLT-3", "PLT-9")
def test_home_page_totals_and_most_used_come_from_the_index(client: TestClient, actors: Actors) -> None:
    admin = auth_header(actors.tokens["admin"])
    staff = auth_header(actors.tokens["staff_a"])
    files = []
    for name in ("公交站点丙表（2024年）", "公交站点丁表（2024年）"):
        d = create(client, actors, name=name)
        r = client.post(
            f"/api/v1/datasets/{d['code']}/resources/file",
            files={"file": ("站点.csv", io.BytesIO("站点名称\n人民广场\n".encode()), "text/csv")},
            headers=staff,
        )
        client.post(f"/api/v1/datasets/{d['code']}/publish", headers=admin)
        files.append((d["code"], r.json()["id"]))
    code, file_id = files[1]
    for _ in range(2):
        assert client.get(f"/api/v1/datasets/{code}/resources/{file_id}/file").status_code == 200
    home = client.get("/index.json").json()
    assert home["totals"]["datasets"] == 2 and home["totals"]["providers"] == 1
    assert home["totals"]["downloads"] == 2 and home["totals"]["unconditional"] == 2
    assert [d["code"] for d in home["most_used"]] == [code]
    assert home["download_counts"] == {home["most_used"][0]["id"]: 2}
    assert {d["value"]: d["count"] for d in home["domains"]}["transport"] == 2
    providers = client.get("/providers.json").json()["providers"]
    assert {p["code"]: p["published"] for p in providers}["ORGA"] == 2
