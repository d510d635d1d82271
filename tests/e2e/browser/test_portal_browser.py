"""The portal in a real browser (PLT-1, PLT-3, PLT-4, PLT-9): Debian's chromium driven by Playwright
against a live server with the demo catalog. Screenshots of each page go to test-artifacts/browser/."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import ric

from publicdata.demo.load import DEMO_PASSWORD

pytestmark = pytest.mark.browser

Shoot = Callable[[Any, str], None]
GBK_CSV = "点位名称,区划代码,经度\n人民广场,310101,121.475\n徐家汇,310104,121.437\n".encode("gbk")
GBK_DATA = "spot_name,district_code,longitude\n人民广场,310101,121.475\n徐家汇,310104,121.437\n".encode("gbk")


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/account"))


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.req("PLT-1")
def test_search_in_chinese_and_open_a_result(page: Any, shoot: Shoot) -> None:
    page.goto("/")
    assert page.locator("h1").inner_text() == "公共数据开放平台"
    shoot(page, "01-home")
    page.get_by_label("搜索数据集").fill("空气质量")
    page.get_by_role("button", name="搜索").first.click()
    page.wait_for_url(re.compile(r"/datasets\?q="))
    heading = page.locator("#results-h").inner_text()
    assert "空气质量" in heading
    assert page.locator("mark", has_text="空气质量").count() >= 1
    shoot(page, "02-search-kongqi-zhiliang")
    page.locator(".card h3 a", has_text="空气质量").first.click()
    page.wait_for_url(re.compile(r"/datasets/[A-Za-z0-9-]+$"))
    assert "空气质量" in page.locator("h1").inner_text()
    assert page.get_by_role("heading", name="数据项").is_visible()
    assert page.get_by_role("heading", name="接口调用").is_visible()
    shoot(page, "03-dataset")
    # Facet filter, then the English switch keeps the filter.
    page.goto("/datasets?domain=transport")
    assert page.locator(".facets strong").first.inner_text() == "道路交通"
    page.get_by_role("link", name="English").click()
    assert page.locator(".facets strong").first.inner_text() == "Roads & transport"
    shoot(page, "04-search-facet-en")
    # A phone-width viewport still shows the search box and results.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/datasets?q=公交&lang=zh")
    assert page.get_by_label("搜索数据集").is_visible()
    shoot(page, "05-search-phone")


@pytest.mark.req("PLT-1")
def test_download_a_csv(page: Any, shoot: Shoot, tmp_path: Path) -> None:
    page.goto("/datasets?q=空气质量")
    page.locator(".card h3 a").first.click()
    page.wait_for_url(re.compile(r"/datasets/[A-Za-z0-9-]+$"))
    fields = [c.inner_text() for c in page.locator("#fields-h + .scroll tbody tr td:first-child code").all()]
    with page.expect_download() as info:
        page.locator("a.button[download]").first.click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.suffix == ".csv"
    header = next(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert header == fields
    shoot(page, "06-dataset-download")


@pytest.mark.req("PLT-9")
def test_register_with_real_name_then_sign_in(page: Any, shoot: Shoot) -> None:
    username = f"citizen{uuid.uuid4().hex[:6]}"
    base17 = f"31011519900307{uuid.uuid4().int % 1000:03d}"
    resident_id = base17 + ric.calc_check_digit(base17 + "0")
    page.goto("/register")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Citizen-Passw0rd")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("真实姓名").fill("王小明")
    page.get_by_label("居民身份证号码").fill(resident_id)
    shoot(page, "07-register")
    page.get_by_role("button", name="注册").last.click()
    page.wait_for_url(re.compile(r"/account\?notice=verified"))
    assert "实名认证已通过" in page.locator("[role=status]").inner_text()
    assert "L1" in page.locator(".facts").inner_text()
    # Create an API token: the secret shows once.
    page.get_by_label("令牌名称").fill("我的脚本")
    page.get_by_role("button", name="创建令牌").click()
    secret = page.locator("#new-token").inner_text()
    assert len(secret) > 20
    shoot(page, "08-account-token")
    page.goto("/account")
    assert page.locator("#new-token").count() == 0
    sign_out(page)
    sign_in(page, username, "Citizen-Passw0rd")
    assert page.locator("h1").inner_text() == "用户中心"


@pytest.mark.req("PLT-3", "PLT-1", "PLT-4")
def test_provider_submits_center_approves_search_finds(page: Any, shoot: Shoot) -> None:
    name = f"网约车候客点位信息{uuid.uuid4().hex[:4]}"
    sign_in(page, "jtw")
    page.goto("/backoffice")
    shoot(page, "09-backoffice")
    page.get_by_role("link", name="新建数据集").click()
    page.get_by_label("数据集名称").fill(name)
    page.get_by_label("摘要").fill("全市网约车规范候客点位的名称、所在区和经纬度坐标，按月更新。")
    page.get_by_label("数据领域").select_option("transport")
    page.get_by_label("标签（逗号分隔）").fill("网约车，候客点")
    rows = [
        ("spot_name", "点位名称", "text", "", "候客点位的标准名称"),
        ("district_code", "区划代码", "text", "", "点位所在区的六位行政区划代码"),
        ("longitude", "经度", "decimal", "度", "点位经度（WGS-84坐标系）"),
    ]
    for i, (fname, label, ftype, unit, description) in enumerate(rows, start=1):
        page.get_by_label(f"字段名 {i}", exact=True).fill(fname)
        page.get_by_label(f"中文名称 {i}", exact=True).fill(label)
        page.get_by_label(f"类型 {i}", exact=True).select_option(ftype)
        page.get_by_label(f"单位 {i}", exact=True).fill(unit)
        page.get_by_label(f"说明 {i}", exact=True).fill(description)
    shoot(page, "10-dataset-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/backoffice/datasets/[A-Za-z0-9-]+/edit\?saved=1"))
    code = page.url.split("/")[5]
    assert page.locator("#dataset-state").inner_text() == "draft"
    # Upload a GBK-encoded CSV (XHR with a progress bar).
    page.get_by_label("选择文件（CSV 可为 UTF-8 或 GBK 编码）").set_input_files(
        {"name": "houke-gbk.csv", "mimeType": "text/csv", "buffer": GBK_CSV}
    )
    page.get_by_label("资源名称").fill("候客点位（GBK）")
    page.get_by_role("button", name="上传").click()
    page.wait_for_url(re.compile(r"uploaded=1"))
    assert "候客点位（GBK）" in page.locator("#files").inner_text()
    # And load it into the data store (encoding detected), which shows the version and its schema.
    page.get_by_label("导入数据文件（CSV、XLSX、JSON）").set_input_files(
        {"name": "houke-gbk.csv", "mimeType": "text/csv", "buffer": GBK_DATA}
    )
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_url(re.compile(r"ingest=succeeded"))
    assert "spot_name" in page.locator("#data details").first.inner_text()
    shoot(page, "10b-dataset-ingested")
    page.get_by_label("提交说明").fill("新增开放：市民出行需求")
    page.get_by_role("button", name="提交开放清单审核").click()
    page.wait_for_url(re.compile(r"/backoffice\?submitted=1"))
    assert name in page.locator("#orders-h + .scroll").inner_text()
    assert "剩余 5 个工作日" in page.locator("#orders-h + .scroll").inner_text()
    shoot(page, "11-backoffice-submitted")
    sign_out(page)

    sign_in(page, "center")
    page.goto("/center")
    row = page.locator("tbody tr", has_text=name)
    assert "剩余 5 个工作日" in row.inner_text()
    shoot(page, "12-center-queue")
    row.get_by_role("link").click()
    shoot(page, "13-center-order")
    page.get_by_label("审核意见").fill("同意开放")
    page.get_by_role("button", name="审核通过").click()
    page.wait_for_url(re.compile(r"/center\?approved=1"))
    assert page.locator("tbody tr", has_text=name).count() == 0
    sign_out(page)

    page.goto("/datasets?q=网约车 候客点")
    result = page.locator(".card h3 a", has_text=name)
    assert result.count() == 1
    shoot(page, "14-search-finds-new-dataset")
    result.click()
    assert page.locator("h1").inner_text() == name
    assert "候客点位（GBK）" in page.locator("#res-h + table").inner_text()
    assert "人民广场" in page.locator("#preview-table").inner_text()
    shoot(page, "15-new-dataset-page")
    assert code in page.url
