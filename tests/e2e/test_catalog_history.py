"""An open-list entry's public change history (CAT-6, CAT-12): publications, reviewed changes and state
changes, read back from the audit chain, on the API and on the dataset page (and its JSON twin)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from publicdata.platform import Platform
from tests.e2e.browser.webapp import portal_app
from tests.e2e.test_web_pages import published
from tests.helpers import Actors, auth_header, dataset_document, make_actors


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(portal_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


@pytest.mark.req("CAT-6", "CAT-12", "PLT-3")
def test_history_lists_publication_and_state_changes_with_hashes(web: TestClient, actors: Actors) -> None:
    dataset = published(web, actors)
    code = dataset["code"]
    admin = auth_header(actors.tokens["admin"])
    r = web.post(
        f"/api/v1/datasets/{code}/state", json={"state": "static", "reason": "系统停止更新"}, headers=admin
    )
    assert r.status_code == 200, r.text

    history = web.get(f"/api/v1/datasets/{code}/history").json()
    assert [(h["action"], h["state"]) for h in history] == [("state", "static"), ("publish", "published")]
    assert all(len(h["content_hash"]) == 64 for h in history)
    assert history[0]["seq"] > history[1]["seq"]

    page = web.get(f"/datasets/{code}.json").json()
    assert [h["action"] for h in page["entry_history"]] == ["state", "publish"]
    html = web.get(f"/datasets/{code}").text
    assert "目录变更记录" in html and history[1]["content_hash"][:12] in html
    assert "Catalog entry history" in web.get(f"/datasets/{code}?lang=en").text


@pytest.mark.req("CAT-6")
def test_history_of_an_unpublished_entry_is_hidden_from_the_public(web: TestClient, actors: Actors) -> None:
    staff = auth_header(actors.tokens["staff_a"])
    code = web.post("/api/v1/datasets", json=dataset_document("ORGA"), headers=staff).json()["code"]
    assert web.get(f"/api/v1/datasets/{code}/history").status_code == 404
    assert web.get(f"/api/v1/datasets/{code}/history", headers=staff).status_code == 200
