"""Portal pages over HTTP (PLT-1, PLT-3, PLT-4, PLT-9): every page's JSON twin returns the data its
template gets, the English switch, search facets and highlights, sign-in with CSRF-checked forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from publicdata.platform import Platform
from tests.e2e.browser.webapp import portal_app
from tests.helpers import PASSWORD, Actors, auth_header, dataset_document, make_actors, valid_credit_code


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(portal_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


def sign_in(web: TestClient, username: str, password: str = PASSWORD) -> None:
    page = web.get("/login")
    r = web.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": "/account",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/account"


def published(web: TestClient, actors: Actors, **overrides: Any) -> dict[str, Any]:
    staff, admin = auth_header(actors.tokens["staff_a"]), auth_header(actors.tokens["admin"])
    r = web.post("/api/v1/datasets", json=dataset_document("ORGA", **overrides), headers=staff)
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert web.post(f"/api/v1/datasets/{code}/publish", headers=admin).status_code == 200
    return dict(web.get(f"/api/v1/datasets/{code}").json())


def twin(web: TestClient, path: str) -> dict[str, Any]:
    """The page's JSON by suffix and by Accept header: the same document; and the HTML page renders."""
    base, _, query = path.partition("?")
    json_path = ("/index" if base == "/" else base) + ".json" + (f"?{query}" if query else "")
    by_suffix = web.get(json_path)
    assert by_suffix.status_code == 200, by_suffix.text
    assert by_suffix.headers["content-type"].startswith("application/json")
    by_accept = web.get(path, headers={"Accept": "application/json"})
    assert by_accept.json() == by_suffix.json()
    html = web.get(path)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert 'lang="zh-CN"' in html.text
    return dict(by_suffix.json())


@pytest.mark.req("PLT-1", "PLT-4")
def test_public_pages_have_json_twins(web: TestClient, actors: Actors) -> None:
    bus = published(web, actors)
    published(
        web,
        actors,
        name="空气质量监测站点小时数据",
        summary="全市空气质量监测站点的逐小时监测数据。",
        domain="environment",
        tags=["空气质量"],
    )
    home = twin(web, "/")
    assert home["totals"]["datasets"] == 2
    assert {d["value"]: d["count"] for d in home["domains"]}["transport"] == 1
    assert [d["code"] for d in home["newest"]][-1] == bus["code"]

    search = twin(web, "/datasets?q=空气质量")
    assert search["total"] == 1 and search["items"][0]["name"] == "空气质量监测站点小时数据"
    assert {f["value"]: f["count"] for f in search["facets"]["domain"]} == {"environment": 1}

    page = twin(web, f"/datasets/{bus['code']}")
    assert page["dataset"]["code"] == bus["code"]
    assert [f["name"] for f in page["dataset"]["fields"]] == [f["name"] for f in bus["fields"]]
    assert page["api"]["curl"].startswith("curl ") and bus["code"] in page["api"]["python"]

    providers = twin(web, "/providers")
    assert {"ORGA": 2}.items() <= {p["code"]: p["published"] for p in providers["providers"]}.items()
    provider = twin(web, "/providers/ORGA")
    assert provider["total"] == 2
    assert twin(web, "/policies")["kind"] == "policy"
    assert twin(web, "/news")["items"] == []
    assert twin(web, "/login")["next"] == "/account"
    assert "form" in twin(web, "/register")


@pytest.mark.req("PLT-1")
def test_missing_dataset_is_404_in_both_forms(web: TestClient) -> None:
    assert web.get("/datasets/NOPE-1.json").json()["error"]["code"] == "not_found"
    r = web.get("/datasets/NOPE-1")
    assert r.status_code == 404 and "数据集不存在" in r.text


@pytest.mark.req("PLT-9")
def test_chinese_by_default_whatever_the_browser_language(web: TestClient) -> None:
    home = web.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "按领域浏览" in home.text and 'lang="zh' in home.text


@pytest.mark.req("PLT-1", "PLT-9")
def test_english_switch_on_three_pages(web: TestClient, actors: Actors) -> None:
    bus = published(web, actors)
    home = web.get("/?lang=en")
    assert "Browse by domain" in home.text and "按领域浏览" not in home.text
    assert 'lang="en"' in home.text
    assert home.cookies.get("lang") == "en"
    # The cookie keeps English on the next pages, numbers and dates formatted for the locale.
    search = web.get("/datasets?q=公交")
    assert "1 datasets match “公交”" in search.text and "Relevance" in search.text
    detail = web.get(f"/datasets/{bus['code']}")
    assert "Using the API" in detail.text and "Roads &amp; transport" in detail.text
    login = web.get("/login")
    assert "Sign in" in login.text and "Password" in login.text
    # Back to Chinese.
    zh = web.get(f"/datasets/{bus['code']}?lang=zh")
    assert "接口调用" in zh.text and "道路交通" in zh.text
    assert "年" in zh.text  # a Chinese long date


HEALTH_FIELDS = [
    {"name": "org_name", "label": "机构名称", "type": "text", "description": "医疗机构的登记名称"},
    {"name": "grade", "label": "等级", "type": "text", "description": "医疗机构的评审等级"},
]


@pytest.mark.req("PLT-1")
def test_search_facets_filter_paginate_and_highlight(web: TestClient, actors: Actors) -> None:
    for i in range(12):
        published(web, actors, name=f"公交站点第{i}批基本信息", tags=["公交"])
    published(
        web,
        actors,
        fields=HEALTH_FIELDS,
        name="医疗机构名录（浦东）",
        domain="health",
        tags=["医疗"],
        summary="浦东新区各类医疗机构的名称、地址和等级。",
    )
    first = web.get("/datasets.json?q=公交").json()
    assert first["total"] == 12 and first["pages"] == 2 and len(first["items"]) == 10
    second = web.get("/datasets.json?q=公交&page=2").json()
    assert len(second["items"]) == 2
    assert not {d["code"] for d in first["items"]} & {d["code"] for d in second["items"]}
    html = web.get("/datasets?q=公交").text
    assert "<mark>公交</mark>" in html and 'rel="next"' in html
    everything = web.get("/datasets.json").json()
    assert {f["value"]: f["count"] for f in everything["facets"]["domain"]} == {"transport": 12, "health": 1}
    health = web.get("/datasets.json?domain=health").json()
    assert health["total"] == 1 and health["items"][0]["name"] == "医疗机构名录（浦东）"
    assert web.get("/datasets.json?q=医疗机构 浦东").json()["total"] == 1
    assert web.get("/datasets.json?sort=downloads").status_code == 200


@pytest.mark.req("PLT-9")
def test_register_sign_in_tokens_and_csrf(web: TestClient, platform: Platform) -> None:
    page = web.get("/register")
    token = csrf_of(page.text)
    # A form post without the token is refused (cross-site forms cannot read it).
    refused = web.post("/register", data={"username": "zhangsan", "password": "Zhang-San-2026x"})
    assert refused.status_code == 403
    r = web.post(
        "/register",
        data={"username": "zhangsan", "password": "Zhang-San-2026x", "kind": "person", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/account?notice=registered"
    account = web.get("/account.json").json()
    assert account["user"]["username"] == "zhangsan" and account["user"]["verification_level"] == 0
    html = web.get("/account").text
    session_csrf = csrf_of(html)
    # Create a token: its secret shows once, on that response only.
    created = web.post("/account/tokens", data={"name": "脚本", "csrf_token": session_csrf})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-token">([^<]+)<', created.text)
    assert secret
    assert web.get("/api/v1/users/me", headers=auth_header(secret.group(1))).json()["username"] == "zhangsan"
    again = web.get("/account.json").json()
    assert again["new_token"] is None and secret.group(1) not in web.get("/account").text
    token_id = again["tokens"][0]["id"]
    assert web.post(f"/account/tokens/{token_id}/revoke", data={}).status_code == 403  # no CSRF token
    r = web.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": session_csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert web.get("/account.json").json()["tokens"][0]["revoked_at"] is not None
    # The API's own rule is unchanged: a session-cookie API write still needs the CSRF header.
    assert web.post("/api/v1/users/me/tokens", json={"name": "x"}).status_code == 403
    # Sign out, then the user centre sends the browser to sign in.
    web.post("/logout", data={"csrf_token": session_csrf})
    r = web.get("/account", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account"
    assert web.get("/account.json").status_code == 401


@pytest.mark.req("PLT-9")
def test_wrong_password_shows_the_form_again(web: TestClient, actors: Actors) -> None:
    page = web.get("/login?next=/backoffice")
    r = web.post(
        "/login", data={"username": "staff_a", "password": "wrong", "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 401 and 'name="username"' in r.text and 'role="alert"' in r.text
    # An off-site `next` is never followed.
    r = web.post(
        "/login",
        data={
            "username": "staff_a",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/account"


@pytest.mark.req("PLT-4")
def test_center_manages_policies_and_news(web: TestClient, actors: Actors) -> None:
    sign_in(web, "center")
    form = web.get("/center/pages/new?kind=policy")
    body = "# 开放办法\n\n第一条 <script>alert(1)</script> **重点**"
    r = web.post(
        "/center/pages",
        data={"kind": "policy", "title": "公共数据开放暂行办法", "body": body, "published": "1",
              "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    page_url = r.headers["location"]
    html = web.get(page_url).text
    assert "<strong>重点</strong>" in html and "<script>alert" not in html and "&lt;script&gt;" in html
    listed = web.get("/policies.json").json()
    assert [p["title"] for p in listed["items"]] == ["公共数据开放暂行办法"]
    assert web.get("/center/pages.json").json()["total"] == 1
    # Providers may not write portal pages.
    web.post("/logout", data={"csrf_token": csrf_of(html)})
    sign_in(web, "staff_a")
    r = web.get("/center/pages/new")
    assert r.status_code == 403
    edit = web.get("/account")
    r = web.post("/center/pages", data={"kind": "news", "title": "x新闻", "csrf_token": csrf_of(edit.text)})
    assert r.status_code == 403


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.mark.req("PLT-9")
def test_company_registers_with_credit_code_and_licence(web: TestClient) -> None:
    page = web.get("/register")
    r = web.post(
        "/register",
        data={
            "username": "acme-data",
            "password": "Shuju-Keji-2026x",
            "kind": "company",
            "organization_name": "上海某某数据科技有限公司",
            "credit_code": valid_credit_code(),
            "csrf_token": csrf_of(page.text),
        },
        files={"licence": ("licence.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/account?notice=verification_submitted"
    account = web.get("/account.json").json()
    assert account["user"]["kind"] == "company"
    assert account["user"]["verification_status"] == "pending"
    assert "认证材料已提交" in web.get("/account?notice=verification_submitted").text
