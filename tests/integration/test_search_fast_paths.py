"""The search's fast paths give exactly what the general statement gives.

Broad relevance queries without filters or facets take a shortcut on SQLite (total from the FTS5
count minus the hidden matches, first page walked newest first), and statements are built once per
shape and reused with other values. These tests lower the broad threshold so a small generated
catalog (with drafts, withdrawn entries and equal timestamps) takes the shortcut, then compare it
with the general statement (asked for a facet, which never takes it), for several kinds of actor,
pages that cross from name matches to other matches, and after catalog changes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from publicdata.catalog.tables import Dataset
from publicdata.db import new_id
from publicdata.identity.permissions import Principal, Role
from publicdata.identity.tables import Organization
from publicdata.platform import Platform
from publicdata.search import index, service
from publicdata.search.service import SearchResult, search_datasets
from publicdata.search.tables import SearchDocument

SUBJECTS = ["公交站点", "公共停车场", "养老机构", "医疗机构", "中小学校", "环境空气质量"]
KINDS = ["名录", "统计", "分布", "监测数据"]
DISTRICTS = [("310115", "浦东新区"), ("310104", "徐汇区"), ("310112", "闵行区")]


def _catalog(platform: Platform, count: int = 120) -> list[str]:
    """Bulk-insert `count` datasets with their search documents; returns the provider ids."""
    rng = random.Random(11)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    orgs = [
        {"id": new_id(), "code": f"ORG{i}", "name": f"{district}交通委员会", "short_name": "",
         "name_en": "", "kind": "district", "description": "", "created_at": now, "area_code": code}
        for i, (code, district) in enumerate(DISTRICTS)
    ]  # fmt: skip
    datasets, documents = [], []
    for n in range(count):
        org = orgs[n % len(orgs)]
        district = DISTRICTS[n % len(DISTRICTS)][1]
        subject, kind = rng.choice(SUBJECTS), rng.choice(KINDS)
        # Every third entry names the subject only in its summary: a match outside the name.
        name = f"{district}{kind}（第{n}号）" if n % 3 == 0 else f"{district}{subject}{kind}"
        summary = f"{district}{subject}的名称和地址等{kind}。"
        state = rng.choice(["published"] * 6 + ["draft", "withdrawn", "static"])
        # Few distinct timestamps: many ties, which the code must break the same way everywhere.
        updated = now - timedelta(days=rng.randint(0, 9))
        row = {
            "id": new_id(), "code": f"T-{n:04d}", "provider_id": org["id"], "name": name, "name_en": "",
            "summary": summary, "domain": "transport", "tags": [subject], "formats": ["csv"],
            "update_frequency": "monthly", "area_code": org["area_code"], "open_class": "unconditional",
            "state": state, "published_at": updated if state != "draft" else None,
            "created_at": updated, "updated_at": updated, "keywords_en": [], "conditions": [],
            "application_materials": [],
        }  # fmt: skip
        title, body = index.texts_for(
            name=name, summary=summary, tags=[subject], labels=[], provider_names=[org["name"]],
            code=row["code"], name_en="", keywords_en=[], domain="transport", area_code=org["area_code"],
        )  # fmt: skip
        datasets.append(row)
        documents.append(
            {"dataset_id": row["id"], "title": title, "body": body, "analyzer": index.ANALYZER,
             "formats": index.formats_text(["csv"]), **{k: row[k] for k in (
                 "state", "provider_id", "domain", "open_class", "update_frequency", "area_code", "code",
                 "published_at", "updated_at")}}
        )  # fmt: skip
    with platform.db.transaction() as session:
        session.execute(insert(Organization), orgs)
        session.execute(insert(Dataset), datasets)
        index.insert_documents(session, documents)
        index.ensure_fts(session)
    return [o["id"] for o in orgs]


def _snapshot(result: SearchResult) -> tuple[int, list[dict[str, Any]]]:
    return result.total, [item.model_dump() for item in result.items]


def _both(platform: Platform, actor: Principal, **kwargs: Any) -> tuple[Any, Any]:
    fast = search_datasets(platform, actor=actor, **kwargs)
    general = search_datasets(platform, actor=actor, facets=["domain"], **kwargs)
    return _snapshot(fast), _snapshot(general)


@pytest.fixture
def providers(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(service, "BROAD_MATCHES", 3)
    return _catalog(platform)


def _actors(providers: list[str]) -> list[Principal]:
    return [
        Principal(),
        Principal(user_id="admin", roles=frozenset({(Role.ADMIN, None)})),
        Principal(user_id="staff", roles=frozenset({(Role.PROVIDER_STAFF, providers[0])})),
    ]


@pytest.mark.req("PLT-3")
@pytest.mark.parametrize("q", ["公交站点", "浦东", "名录", "统计 徐汇", "监测数据", "T-00"])
def test_broad_queries_equal_the_general_statement(platform: Platform, providers: list[str], q: str) -> None:
    for actor in _actors(providers):
        for offset, limit in ((0, 20), (0, 7), (7, 7), (14, 7), (30, 20), (200, 5)):
            fast, general = _both(platform, actor, q=q, offset=offset, limit=limit)
            assert fast == general, (q, actor.roles, offset)
    assert search_datasets(platform, actor=Principal(), q="公交站点").total > 3  # the shortcut was taken


@pytest.mark.req("PLT-3")
def test_broad_queries_rank_name_matches_first(
    platform: Platform, providers: list[str], is_postgres: bool
) -> None:
    if is_postgres:
        pytest.skip("the cheap rank of broad queries is SQLite's (PostgreSQL ranks with ts_rank)")
    for facets in ([], ["domain"]):
        items = search_datasets(platform, actor=Principal(), q="公交站点", facets=facets, limit=200).items
        assert {item.score for item in items} == {0.0, 1.0}
        assert all(item.score == (1.0 if "公交站点" in item.name else 0.0) for item in items)
        assert [item.score for item in items] == sorted((item.score for item in items), reverse=True)


@pytest.mark.req("PLT-3")
def test_the_shortcut_follows_catalog_changes(platform: Platform, providers: list[str]) -> None:
    anonymous = Principal()
    before = search_datasets(platform, actor=anonymous, q="养老机构")
    assert before.total > 3 and before.items
    first = before.items[0]
    with platform.db.transaction() as session:  # as a withdrawal does: the copies follow
        session.execute(
            update(SearchDocument).where(SearchDocument.dataset_id == first.id).values(state="draft")
        )
    after = search_datasets(platform, actor=anonymous, q="养老机构")
    assert after.total == before.total - 1
    assert first.id not in [i.id for i in after.items]
    fast, general = _both(platform, anonymous, q="养老机构", limit=50)
    assert fast == general


@pytest.mark.req("PLT-3")
def test_reused_statements_take_the_new_values(platform: Platform, providers: list[str]) -> None:
    anonymous = Principal()
    totals = {}
    for area, _name in DISTRICTS:
        result = search_datasets(platform, actor=anonymous, q="名录", area_code=area, facets=["area_code"])
        assert result.facets is not None
        assert [(f.value, f.count) for f in result.facets["area_code"]] == (
            [(area, result.total)] if result.total else []
        )
        totals[area] = result.total
    everything = search_datasets(platform, actor=anonymous, q="名录", facets=["area_code"])
    assert sum(totals.values()) == everything.total
    by_provider = [
        search_datasets(platform, actor=anonymous, q="名录", provider=f"ORG{i}").total for i in range(3)
    ]
    assert sum(by_provider) == everything.total
