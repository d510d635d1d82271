"""An application for conditional data in a real browser, from submission to the first API call
(ACC-2..ACC-5): a citizen registers (real name, L1) and applies on the dataset page, the center accepts it,
the provider approves it, the citizen signs the usage agreement and reads the records with an API token.
The last step needs the data store to honour grants (ACC-6)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from stdnum.cn import ric

from publicdata.demo.load import DEMO_PASSWORD

pytestmark = pytest.mark.browser

Shoot = Callable[[Any, str], None]
DATASET = "SH-JTW-0004"  # conditional, provider 市交通委 (staff account "jtw")


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/account"))


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.req("ACC-2", "ACC-3", "ACC-4", "ACC-5")
def test_application_from_submission_to_first_api_call(page: Any, shoot: Shoot) -> None:
    username = f"applicant{uuid.uuid4().hex[:6]}"
    base17 = f"31011519880512{uuid.uuid4().int % 1000:03d}"
    page.goto("/register")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Applicant-Passw0rd")
    page.get_by_label("手机号码").fill("13912345679")
    page.get_by_label("真实姓名").fill("李四")
    page.get_by_label("居民身份证号码").fill(base17 + ric.calc_check_digit(base17 + "0"))
    page.get_by_role("button", name="注册").last.click()
    page.wait_for_url(re.compile(r"/account\?notice=verified"))

    # The dataset page lists every material once; apply from there.
    page.goto(f"/datasets/{DATASET}")
    assert page.get_by_role("heading", name="申请材料清单").is_visible()
    assert page.locator(".materials li").count() >= 4
    shoot(page, "access-01-dataset-panel")
    page.locator("#apply-link").click()
    page.wait_for_url(re.compile(rf"/access/apply/{DATASET}"))
    page.get_by_label("申请用途", exact=True).fill("开发道路拥堵提示服务")
    page.get_by_label("应用场景", exact=True).fill("面向市民的出行信息服务")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    page.get_by_label("使用期限开始", exact=True).fill(today.isoformat())
    page.get_by_label("使用期限结束", exact=True).fill((today + timedelta(days=180)).isoformat())
    page.get_by_label("数据安全保障措施", exact=True).fill("数据加密存储，专人管理，访问留痕")
    for area in page.locator("textarea[name^='m_']").all():
        area.fill("已按要求提供说明材料")
    for upload in page.locator("input[type=file]").all():
        upload.set_input_files(
            {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 licence"}
        )
    shoot(page, "access-02-apply-form")
    page.locator("#submit-application").click()
    page.wait_for_url(re.compile(r"/access/applications/[0-9a-f]+\?submitted=1"))
    path = urlparse(page.url).path
    assert page.locator("#application-state").get_attribute("data-state") == "submitted"
    assert "剩余" in page.locator(".meta").first.inner_text()
    shoot(page, "access-03-submitted")
    sign_out(page)

    # The center's completeness queue, sorted by due date: accept and forward.
    sign_in(page, "center")
    page.goto("/access/center")
    page.locator(f"a[href='{path}']").first.click()
    shoot(page, "access-04-center-check")
    page.locator("#accept-application").click()
    page.wait_for_url(re.compile(r"accepted=1"))
    assert page.locator("#application-state").get_attribute("data-state") == "forwarded"
    sign_out(page)

    # The provider approves.
    sign_in(page, "jtw")
    page.goto("/access/provider")
    page.locator(f"a[href='{path}']").first.click()
    shoot(page, "access-05-provider-decision")
    page.locator("#approve-application").click()
    page.wait_for_url(re.compile(r"approved=1"))
    assert page.locator("#application-state").get_attribute("data-state") == "approved"
    sign_out(page)

    # The applicant signs the agreement online.
    sign_in(page, username, "Applicant-Passw0rd")
    page.goto("/access/applications")
    page.locator(f"a[href='{path}']").first.click()
    page.locator("#sign-link").click()
    assert "应用场景限制" in page.locator("#agreement-text").inner_text()
    page.locator("#accept").check()
    page.get_by_label("签署人姓名").fill("李四")
    shoot(page, "access-06-sign")
    page.locator("#sign-agreement").click()
    page.wait_for_url(re.compile(r"signed=1"))
    assert page.locator("#application-state").get_attribute("data-state") == "signed"
    shoot(page, "access-07-signed")

    # A token, then the first API call under the grant.
    page.goto("/account")
    page.get_by_label("令牌名称").fill("拥堵提示服务")
    page.get_by_role("button", name="创建令牌").click()
    secret = page.locator("#new-token").inner_text().strip()
    response = page.request.get(
        f"/api/v1/datasets/{DATASET}/records?limit=5", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status == 200, response.text()
    body = response.json()
    assert len(body["records"]) == 5
    assert "road_name" in body["records"][0]
