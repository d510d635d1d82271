"""Chinese full-text search over the demo catalog, on SQLite (FTS5) and PostgreSQL (tsvector).

The demo catalog takes several seconds to load, so this module loads it once into a database of its
own (a copy of the migrated template on SQLite, a dedicated database on PostgreSQL) and only reads.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from publicdata import migrate
from publicdata.app import create_app
from publicdata.config import Settings
from publicdata.demo.load import load_demo
from publicdata.identity.permissions import Principal, Role
from publicdata.platform import Platform
from publicdata.search.service import search_datasets
from tests.conftest import PG_URL

ANONYMOUS = Principal()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, database_template: str) -> Iterator[Platform]:
    tmp = tmp_path_factory.mktemp("search_demo")
    admin = None
    if PG_URL:
        name = f"publicdata_search_{uuid.uuid4().hex[:10]}"
        admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
    else:
        shutil.copyfile(database_template, tmp / "demo.sqlite3")
        url = f"sqlite:///{tmp / 'demo.sqlite3'}"
    settings = Settings(
        var_dir=Path(tmp) / "var",
        tick_interval_minutes=0,
        database_url=url,
        secret_key="test-secret-key-not-for-production",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )
    platform = Platform.from_settings(settings)
    load_demo(platform)
    yield platform
    platform.close()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def demo_client(demo: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(demo)) as c:
        yield c


def codes(platform: Platform, q: str, **kwargs: object) -> list[str]:
    result = search_datasets(platform, actor=ANONYMOUS, q=q, limit=100, **kwargs)  # type: ignore[arg-type]
    assert result.total == len(result.items)
    return [item.code for item in result.items]


@pytest.mark.req("PLT-3")
def test_bus_stops_query_with_two_words(demo: Platform) -> None:
    found = codes(demo, "公交 站点")
    assert found[0] == "SH-JTW-0001"  # 上海市公交线路站点信息
    # The words may also be joined, or written as one segmented phrase.
    assert codes(demo, "公交站点")[0] == "SH-JTW-0001"


@pytest.mark.req("PLT-3")
def test_air_quality_finds_the_monitoring_dataset_first(demo: Platform) -> None:
    found = codes(demo, "空气质量")
    assert found[0] == "SH-STHJJ-0001"  # 上海市环境空气质量逐日监测数据


@pytest.mark.req("PLT-3")
def test_medical_institutions_in_pudong(demo: Platform) -> None:
    found = codes(demo, "医疗机构 浦东")
    # Entries about medical institutions whose data can be cut by district (浦东新区 in the fields).
    assert "SH-WJW-0001" in found  # 上海市医疗机构基本信息
    assert all(code.startswith("SH-WJW-") for code in found)
    assert set(codes(demo, "浦东医疗机构")) == set(found)


@pytest.mark.req("PLT-3")
def test_latin_terms_and_codes(demo: Platform) -> None:
    assert codes(demo, "PM2.5") == ["SH-STHJJ-0001"]
    assert codes(demo, "pm2.5") == ["SH-STHJJ-0001"]
    assert "SH-STHJJ-0001" in codes(demo, "AQI")
    assert codes(demo, "SH-JTW-0001") == ["SH-JTW-0001"]


@pytest.mark.req("PLT-3")
def test_substrings_provider_names_and_tags(demo: Platform) -> None:
    # A substring that jieba does not produce as a word still matches (bigram phrase).
    assert "SH-STHJJ-0001" in codes(demo, "气质")
    # Provider names are searchable, in full and abbreviated.
    by_provider = codes(demo, "卫生健康委员会")
    assert by_provider and all(code.startswith("SH-WJW-") for code in by_provider)
    assert set(codes(demo, "市卫生健康委")) == set(by_provider)
    # No match at all.
    assert codes(demo, "量子计算机") == []


@pytest.mark.req("PLT-3")
def test_facet_counts_match_the_results(demo: Platform) -> None:
    names = ["domain", "provider", "open_class", "format", "update_frequency", "area_code"]
    result = search_datasets(demo, actor=ANONYMOUS, q="上海市", facets=names, limit=200)
    assert result.facets is not None and result.total > 20
    items = result.items
    for name in ("domain", "open_class", "update_frequency"):
        counted = {f.value: f.count for f in result.facets[name]}
        expected: dict[str, int] = {}
        for item in items:
            key = str(getattr(item, name).value)
            expected[key] = expected.get(key, 0) + 1
        assert counted == expected, name
    providers = {f.value: f.count for f in result.facets["provider"]}
    assert sum(providers.values()) == result.total
    assert providers["SHWJW"] == sum(1 for i in items if i.provider.code == "SHWJW")
    formats = {f.value: f.count for f in result.facets["format"]}
    assert formats["csv"] == sum(1 for i in items if "csv" in i.formats)
    assert sum(f.count for f in result.facets["area_code"]) == result.total
    # Filtering by a facet value gives exactly its count.
    health = next(f for f in result.facets["domain"] if f.value == "health")
    assert health.label == "卫生健康"
    filtered = search_datasets(demo, actor=ANONYMOUS, q="上海市", domain="health", limit=200)
    assert filtered.total == health.count


@pytest.mark.req("PLT-3")
def test_only_visible_entries_are_found(demo: Platform) -> None:
    admin = search_datasets(demo, actor=Principal(user_id="x", roles=frozenset({(Role.ADMIN, None)})))
    anonymous = search_datasets(demo, actor=ANONYMOUS)
    assert all(item.state.value in ("published", "static") for item in anonymous.items)
    assert admin.total >= anonymous.total


@pytest.mark.req("PLT-3")
def test_sorts(demo: Platform) -> None:
    newest = search_datasets(demo, actor=ANONYMOUS, q="上海市", sort="newest", limit=200).items
    stamps = [i.published_at for i in newest if i.published_at]
    assert stamps == sorted(stamps, reverse=True)
    relevant = search_datasets(demo, actor=ANONYMOUS, q="空气质量", sort="relevance").items
    scores = [i.score or 0 for i in relevant]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.req("PLT-3")
def test_http_search_with_facets_and_highlights(demo_client: TestClient) -> None:
    body = demo_client.get("/api/v1/datasets", params={"q": "空气质量", "facet": "domain,open_class"}).json()
    assert {"total", "offset", "limit", "items", "facets"} <= set(body)
    first = body["items"][0]
    assert first["code"] == "SH-STHJJ-0001"
    assert "<mark>空气质量</mark>" in first["highlight"]["name"]
    assert set(body["facets"]) == {"domain", "open_class"}
    assert body["facets"]["domain"][0] == {
        "value": "environment",
        "label": "资源环境",
        "label_en": "Resources & environment",
        "count": body["facets"]["domain"][0]["count"],
    }
    everything = demo_client.get("/api/v1/datasets", params={"facet": "all", "limit": 1}).json()
    assert set(everything["facets"]) == {
        "domain",
        "provider",
        "open_class",
        "format",
        "update_frequency",
        "area_code",
    }
    assert sum(f["count"] for f in everything["facets"]["domain"]) == everything["total"]
    # Without q or facet the response is the plain listing, unchanged.
    plain = demo_client.get("/api/v1/datasets", params={"limit": 2}).json()
    assert set(plain) == {"total", "offset", "limit", "items"}
    bad = demo_client.get("/api/v1/datasets", params={"q": "水", "facet": "colour"})
    assert bad.status_code == 422
