"""The demo catalog loads through the services, is served by the API, and loads idempotently."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from publicdata.demo.load import load_demo
from publicdata.platform import Platform


@pytest.mark.req("CAT-1", "CAT-2", "CAT-4")
def test_demo_catalog_is_served_and_idempotent(platform: Platform, client: TestClient) -> None:
    first = load_demo(platform)
    assert first.datasets >= 40 and first.published >= 40 and first.organizations >= 30
    listing = client.get("/api/v1/datasets?limit=200").json()
    assert listing["total"] >= 40
    classes = {d["open_class"] for d in listing["items"]}
    assert classes == {"unconditional", "conditional", "not_open"}
    assert len({d["domain"] for d in listing["items"]}) >= 10
    providers = client.get("/api/v1/organizations?limit=200").json()
    kinds = {o["kind"] for o in providers["items"]}
    assert {"department", "district", "utility", "center", "authority"} <= kinds
    second = load_demo(platform)
    assert (second.datasets, second.organizations, second.users) == (0, 0, 0)
    assert client.get("/api/v1/datasets").json()["total"] == listing["total"]
    # A published demo dataset with data carries its table as a CSV resource that downloads.
    with_data = next(d for d in listing["items"] if d["open_class"] == "unconditional")
    detail = client.get(f"/api/v1/datasets/{with_data['code']}").json()
    resource = detail["resources"][0]
    csv_text = client.get(f"/api/v1/datasets/{with_data['code']}/resources/{resource['id']}/file").text
    assert csv_text.splitlines()[0].split(",") == [f["name"] for f in detail["fields"]]
