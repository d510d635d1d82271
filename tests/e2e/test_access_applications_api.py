"""Applications for conditional data over HTTP (ACC-2..ACC-5, ACC-8): materials, idempotent submission,
completeness check with all reasons, resubmission, provider decision, expert referral, agreement signing,
credit-list refusal, level checks — then `audit verify` over the whole log."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publicdata.access.grant_tables import AccessGrant
from publicdata.access.tables import UsageAgreement
from publicdata.audit.store import verify_audit_log
from publicdata.audit.tables import AuditRecord
from publicdata.identity import auth
from publicdata.identity.model import OrgKind, Role
from publicdata.identity.permissions import SYSTEM
from publicdata.identity.schemas import StaffIn
from publicdata.identity.service import (
    create_staff_user,
    list_verification_requests,
    review_company_verification,
    submit_company_verification,
)
from publicdata.platform import Platform
from tests.helpers import (
    PASSWORD,
    Actors,
    auth_header,
    dataset_document,
    make_actors,
    make_org,
    token_for,
    valid_credit_code,
    valid_resident_id,
)

CSV = (
    "stop_name,district_code,longitude\n"
    "人民广场公交枢纽站,310101,121.4737\n陆家嘴环路公交站,310115,121.5055\n徐家汇公交枢纽站,310104,121.4365\n"
).encode()
CONDITIONAL = {
    "open_class": "conditional",
    "grading": {"personal": 1, "organizational": 1, "object": 3},
    "conditions": [
        {"kind": "scenario", "description": "仅限公共交通服务场景"},
        {"kind": "security", "description": "具备数据安全管理制度"},
        {"kind": "credit", "description": "未被列入失信名单"},
    ],
    "application_materials": ["应用场景说明", "单位承诺函"],
}
MATERIALS = {
    "scenario_description": "为市民提供公交到站提醒服务",
    "security_capability": "具备等保三级认证的数据安全管理体系",
    "credit_declaration": "本人承诺未被列入失信被执行人名单",
    "extra_2": "承诺函正文",
}


@dataclass
class World:
    actors: Actors
    code: str
    expert: str
    company_l2: str
    company_l2_id: str


def as_(world: World | Actors, who: str) -> dict[str, str]:
    actors = world.actors if isinstance(world, World) else world
    if who == "expert" and isinstance(world, World):
        return auth_header(world.expert)
    if who == "company_l2" and isinstance(world, World):
        return auth_header(world.company_l2)
    return auth_header(actors.tokens[who])


def make_conditional_dataset(client: TestClient, actors: Actors, code: str) -> str:
    doc = dataset_document("ORGA", code=code, **CONDITIONAL)
    created = client.post("/api/v1/datasets", json=doc, headers=auth_header(actors.tokens["staff_a"]))
    assert created.status_code == 201, created.json()
    up = client.post(
        f"/api/v1/datasets/{code}/uploads?wait=true",
        files={"file": ("站点.csv", io.BytesIO(CSV), "text/csv")},
        headers=auth_header(actors.tokens["staff_a"]),
    )
    assert up.status_code in (200, 201, 202), up.json()
    published = client.post(f"/api/v1/datasets/{code}/publish", headers=auth_header(actors.tokens["admin"]))
    assert published.status_code == 200, published.json()
    return code


def make_expert(platform: Platform) -> str:
    make_org(platform, "EXPERTS", OrgKind.EXPERT_COMMITTEE, "公共数据专家委员会")
    create_staff_user(
        platform,
        actor=SYSTEM,
        data=StaffIn(username="expert1", password=PASSWORD, role=Role.EXPERT, organization_code="EXPERTS"),
    )
    return token_for(platform, "expert1")


def make_l2_company(platform: Platform, actors: Actors, credit_code: str) -> tuple[str, str]:
    """The L0 `company` of make_actors, verified by the center (L2), with its credit code."""
    company = auth.authenticate(platform, username="company", password=PASSWORD)
    submit_company_verification(
        platform,
        actor=company,
        credit_code=credit_code,
        organization_name="上海测试科技有限公司",
        licence_filename="licence.pdf",
        licence=io.BytesIO(b"%PDF-1.4 licence"),
    )
    center = auth.authenticate(platform, username="center", password=PASSWORD)
    requests = list_verification_requests(platform, actor=center)
    review_company_verification(platform, actor=center, request_id=requests[0].id, approve=True)
    return token_for(platform, "company"), actors.user_ids["company"]


def build_world(platform: Platform, client: TestClient) -> World:
    actors = make_actors(platform)
    code = make_conditional_dataset(client, actors, "SH-ORGA-BUS")
    expert = make_expert(platform)
    token, user_id = make_l2_company(platform, actors, valid_credit_code())
    return World(actors, code, expert, token, user_id)


@pytest.fixture
def world(platform: Platform, client: TestClient) -> World:
    return build_world(platform, client)


def application(code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dataset": code,
        "purpose": "开发公交到站提醒应用",
        "scenario": "面向市民的公交出行服务",
        "fields": ["stop_name", "district_code"],
        "period_start": "2026-12-01",
        "period_end": "2027-11-30",
        "security_measures": "数据加密存储，专人管理，访问留痕",
        "expected_rows": 1000,
        "materials": dict(MATERIALS),
    }
    body.update(overrides)
    return body


def submit(client: TestClient, world: World, who: str = "person_l1", key: str = "k-1", **kw: Any) -> Any:
    return client.post(
        "/api/v1/applications",
        json=application(world.code, **kw),
        headers=as_(world, who) | {"Idempotency-Key": key},
    )


@pytest.mark.req("ACC-2", "ACC-8")
def test_materials_listed_once_from_open_conditions_and_editable(client: TestClient, world: World) -> None:
    got = client.get(f"/api/v1/datasets/{world.code}/access-requirements")
    assert got.status_code == 200, got.json()
    body = got.json()
    assert [m["key"] for m in body["materials"]] == [
        "scenario_description",
        "security_capability",
        "credit_declaration",
        "qualification_documents",
        "extra_2",
    ]
    assert body["configured"] is False and body["credit_check"] is True
    assert "{scenario}" in body["agreement_template"]
    materials = [m for m in body["materials"] if m["key"] != "qualification_documents"]
    denied = client.put(
        f"/api/v1/datasets/{world.code}/access-requirements",
        json={"materials": materials},
        headers=as_(world, "staff_b"),
    )
    assert denied.status_code == 403
    bad = client.put(
        f"/api/v1/datasets/{world.code}/access-requirements",
        json={"materials": materials, "agreement_template": "协议 {nonsense}"},
        headers=as_(world, "staff_a"),
    )
    assert bad.status_code == 422
    put = client.put(
        f"/api/v1/datasets/{world.code}/access-requirements",
        json={"materials": materials, "min_level": "L1", "expert_threshold_rows": 100000},
        headers=as_(world, "staff_a"),
    )
    assert put.status_code == 200, put.json()
    again = client.get(f"/api/v1/datasets/{world.code}/access-requirements").json()
    assert again["configured"] is True and again["expert_threshold_rows"] == 100000
    assert "qualification_documents" not in [m["key"] for m in again["materials"]]


@pytest.mark.req("ACC-2")
def test_duplicate_submission_is_idempotent(client: TestClient, world: World) -> None:
    # Qualification documents are a file: upload one with the work-order upload endpoint.
    up = client.post(
        "/api/v1/workorders/uploads",
        files={"file": ("资质.pdf", io.BytesIO(b"%PDF-1.4 qual"), "application/pdf")},
        headers=as_(world, "person_l1"),
    )
    assert up.status_code == 201, up.json()
    materials = MATERIALS | {"qualification_documents": {"upload_id": up.json()["upload_id"]}}
    first = submit(client, world, materials=materials)
    assert first.status_code == 201, first.json()
    second = submit(client, world, materials=materials)
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    mine = client.get("/api/v1/applications", headers=as_(world, "person_l1")).json()
    assert mine["total"] == 1
    assert first.json()["materials"]["qualification_documents"]["sha256"]
    # Someone else's upload cannot be attached.
    stolen = submit(client, world, who="company_l2", key="k-2", materials=materials)
    assert stolen.status_code == 422


@pytest.mark.req("ACC-2")
def test_incomplete_request_lists_every_problem(client: TestClient, world: World) -> None:
    response = submit(
        client,
        world,
        purpose="",
        fields=["stop_name", "secret_column"],
        period_end="2026-01-01",
        materials={"scenario_description": "场景说明"},
    )
    assert response.status_code == 422
    items = {(d["item"], d["reason"]) for d in response.json()["error"]["details"]}
    assert items == {
        ("purpose", "missing"),
        ("fields", "unknown_field"),
        ("period", "invalid"),
        ("security_capability", "missing"),
        ("credit_declaration", "missing"),
        ("qualification_documents", "missing"),
        ("extra_2", "missing"),
    }


@pytest.mark.req("ACC-2", "ACC-12")
def test_level_too_low_is_refused(client: TestClient, world: World) -> None:
    l0 = submit(client, world, who="person_l0")
    assert l0.status_code == 403
    assert "L1" in l0.json()["error"]["message_en"]
    staff = submit(client, world, who="staff_a")
    assert staff.status_code == 403
    # The provider raises the level to L2: the verified person is refused, the verified company is not.
    req = client.get(f"/api/v1/datasets/{world.code}/access-requirements").json()
    client.put(
        f"/api/v1/datasets/{world.code}/access-requirements",
        json={"materials": req["materials"], "min_level": "L2"},
        headers=as_(world, "staff_a"),
    ).raise_for_status()
    assert submit(client, world, who="person_l1", key="x").status_code == 403
    upload = client.post(
        "/api/v1/workorders/uploads",
        files={"file": ("q.pdf", io.BytesIO(b"%PDF-1.4 q"), "application/pdf")},
        headers=as_(world, "company_l2"),
    ).json()
    ok = submit(
        client,
        world,
        who="company_l2",
        key="y",
        materials=MATERIALS | {"qualification_documents": {"upload_id": upload["upload_id"]}},
    )
    assert ok.status_code == 201, ok.json()


def qual_upload(client: TestClient, world: World, who: str = "person_l1") -> dict[str, str]:
    up = client.post(
        "/api/v1/workorders/uploads",
        files={"file": ("资质.pdf", io.BytesIO(b"%PDF-1.4 qualification"), "application/pdf")},
        headers=as_(world, who),
    )
    assert up.status_code == 201, up.json()
    return {"upload_id": up.json()["upload_id"]}


def full_materials(client: TestClient, world: World, who: str = "person_l1") -> dict[str, Any]:
    return MATERIALS | {"qualification_documents": qual_upload(client, world, who)}


@pytest.mark.req("ACC-8")
def test_credit_list_refuses_automatically(client: TestClient, world: World, platform: Platform) -> None:
    listed = client.post(
        "/api/v1/credit-list",
        json={
            "identifier": valid_credit_code(),
            "identifier_kind": "credit_code",
            "name": "上海测试科技有限公司",
            "list_kind": "abnormal_operation",
            "source": "市场监管部门经营异常名录",
        },
        headers=as_(world, "center"),
    )
    assert listed.status_code == 201, listed.json()
    assert (
        client.post(
            "/api/v1/credit-list", json={"identifier": "x"}, headers=as_(world, "person_l1")
        ).status_code
        == 403
    )
    csv_file = (
        "identifier,identifier_kind,name,list_kind,source\n"
        f"{valid_resident_id()},resident_id,张三,dishonest,法院\n"
    )
    imported = client.post(
        "/api/v1/credit-list/import",
        files={"file": ("list.csv", io.BytesIO(csv_file.encode()), "text/csv")},
        headers=as_(world, "center"),
    )
    assert imported.status_code == 200, imported.json()
    assert imported.json() == {"added": 1, "updated": 0}
    entries = client.get("/api/v1/credit-list", headers=as_(world, "center")).json()
    assert len(entries) == 2
    person_entry = next(e for e in entries if e["identifier_kind"] == "resident_id")
    assert valid_resident_id() not in person_entry["identifier"]  # only the HMAC is kept

    company = submit(
        client, world, who="company_l2", key="c1", materials=full_materials(client, world, "company_l2")
    )
    assert company.status_code == 201
    assert company.json()["state"] == "refused"
    assert company.json()["problems"][0]["code"] == "credit_list"
    assert "经营异常名录" in company.json()["problems"][0]["reason"]
    assert company.json()["check_order"] is None
    person = submit(client, world, key="p1", materials=full_materials(client, world))
    assert person.json()["state"] == "refused"
    assert "失信被执行人名单" in person.json()["problems"][0]["reason"]

    # Removed from the list, the person resubmits the same application: it goes to the center's check.
    removed = client.delete(f"/api/v1/credit-list/{person_entry['id']}", headers=as_(world, "center"))
    assert removed.status_code == 204
    again = client.put(
        f"/api/v1/applications/{person.json()['id']}",
        json=application(world.code, materials=full_materials(client, world)),
        headers=as_(world, "person_l1"),
    )
    assert again.status_code == 200, again.json()
    assert again.json()["state"] == "submitted" and again.json()["rounds"] == 2
    assert again.json()["check_order"]["state"] == "checking"
    with platform.db.reading() as session:
        actions = set(session.scalars(select(AuditRecord.action)))
    assert {
        "access.credit_list_add",
        "access.credit_list_import",
        "access.application_refuse_credit",
    } <= actions


@pytest.mark.req("ACC-3", "ACC-4", "ACC-5")
def test_full_flow_refusals_resubmission_referral_and_signing(
    client: TestClient, world: World, platform: Platform
) -> None:
    created = submit(client, world, materials=full_materials(client, world))
    assert created.status_code == 201, created.json()
    app = created.json()
    app_id = app["id"]
    assert app["state"] == "submitted"
    assert app["current_order"]["type"] == "access_check"
    assert app["current_order"]["responsible_role"] == "center"

    # Only the center checks; the provider cannot decide yet.
    assert (
        client.post(f"/api/v1/applications/{app_id}/accept", headers=as_(world, "staff_a")).status_code == 403
    )
    assert (
        client.post(
            f"/api/v1/applications/{app_id}/approve", json={}, headers=as_(world, "staff_a")
        ).status_code
        == 409
    )

    # The center refuses with every wrong item at once.
    returned = client.post(
        f"/api/v1/applications/{app_id}/return",
        json={
            "problems": [
                {"item": "qualification_documents", "reason": "营业执照已过期"},
                {"item": "security_capability", "reason": "未说明数据存储位置"},
            ],
            "note": "请补正",
        },
        headers=as_(world, "center"),
    )
    assert returned.status_code == 200, returned.json()
    body = returned.json()
    assert body["state"] == "incomplete"
    assert [p["item"] for p in body["problems"]] == ["qualification_documents", "security_capability"]
    assert body["check_order"]["paused"] is True
    unknown = client.post(
        f"/api/v1/applications/{app_id}/return",
        json={"problems": [{"item": "nonsense", "reason": "x"}]},
        headers=as_(world, "center"),
    )
    assert unknown.status_code == 409  # the order is no longer in the check
    inbox = client.get("/api/v1/me/inbox", headers=as_(world, "person_l1")).json()
    notice = next(n for n in inbox["items"] if n["kind"] == "access.incomplete")
    assert "营业执照已过期" in notice["body_zh"] and "未说明数据存储位置" in notice["body_zh"]

    # Amend and resubmit on the same application.
    amended = client.put(
        f"/api/v1/applications/{app_id}",
        json=application(
            world.code,
            security_measures="数据存储于本市政务云，加密并专人管理",
            materials=full_materials(client, world),
        ),
        headers=as_(world, "person_l1"),
    )
    assert amended.status_code == 200, amended.json()
    assert amended.json()["rounds"] == 2 and amended.json()["state"] == "submitted"
    assert amended.json()["check_order"]["id"] == app["check_order"]["id"]
    assert amended.json()["problems"] == []

    accepted = client.post(f"/api/v1/applications/{app_id}/accept", headers=as_(world, "center"))
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["state"] == "forwarded"
    decision = accepted.json()["decision_order"]
    assert decision["type"] == "access_decision" and decision["responsible_org_id"] == world.actors.org_a

    # Provider refuses with all reasons; the applicant resubmits; the center accepts again.
    assert (
        client.post(
            f"/api/v1/applications/{app_id}/refuse",
            json={"problems": [{"item": "fields", "reason": "区划代码不属于所述场景所需"}]},
            headers=as_(world, "staff_b"),
        ).status_code
        == 403
    )
    refused = client.post(
        f"/api/v1/applications/{app_id}/refuse",
        json={
            "problems": [
                {"item": "fields", "reason": "区划代码不属于所述场景所需"},
                {"item": "period", "reason": "期限过长"},
            ]
        },
        headers=as_(world, "staff_a"),
    )
    assert refused.status_code == 200, refused.json()
    assert refused.json()["state"] == "refused" and len(refused.json()["problems"]) == 2
    third = client.put(
        f"/api/v1/applications/{app_id}",
        json=application(
            world.code,
            expected_rows=5_000_000,
            period_end="2027-05-31",
            materials=full_materials(client, world),
        ),
        headers=as_(world, "person_l1"),
    )
    assert third.status_code == 200, third.json()
    assert third.json()["rounds"] == 3
    assert third.json()["check_order"]["id"] != app["check_order"]["id"]  # a fresh check order
    client.post(f"/api/v1/applications/{app_id}/accept", headers=as_(world, "center")).raise_for_status()

    # Large request → experts; decision clock paused; the opinion resumes it.
    referred = client.post(
        f"/api/v1/applications/{app_id}/refer",
        json={"note": "一次性批量获取500万行，提请专家评议"},
        headers=as_(world, "staff_a"),
    )
    assert referred.status_code == 200, referred.json()
    assert referred.json()["state"] == "expert_review"
    assert referred.json()["decision_order"]["paused"] is True
    assert (
        client.post(
            f"/api/v1/applications/{app_id}/expert-opinions",
            json={"recommendation": "approve", "opinion": "x"},
            headers=as_(world, "person_l1"),
        ).status_code
        == 403
    )
    opinion = client.post(
        f"/api/v1/applications/{app_id}/expert-opinions",
        json={"recommendation": "narrow", "opinion": "建议仅开放站点名称，期限缩短"},
        headers=as_(world, "expert"),
    )
    assert opinion.status_code == 201, opinion.json()
    assert opinion.json()["state"] == "forwarded"
    assert opinion.json()["decision_order"]["paused"] is False
    assert opinion.json()["expert_opinions"][0]["recommendation"] == "narrow"

    # Approve narrower than requested; wider is refused.
    wider = client.post(
        f"/api/v1/applications/{app_id}/approve",
        json={"fields": ["stop_name", "longitude"]},
        headers=as_(world, "staff_a"),
    )
    assert wider.status_code == 422
    approved = client.post(
        f"/api/v1/applications/{app_id}/approve",
        json={"fields": ["stop_name"], "period_end": "2027-02-28", "daily_quota": 500},
        headers=as_(world, "staff_a"),
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    assert approved.json()["approved_scope"]["fields"] == ["stop_name"]

    # The agreement: preview, refuse without accept, sign with the hash read.
    preview = client.get(f"/api/v1/applications/{app_id}/agreement", headers=as_(world, "person_l1")).json()
    assert "面向市民的公交出行服务" in preview["text"] and "每90日" in preview["text"]
    assert "站点名称（stop_name）" in preview["text"] and "区划代码" not in preview["text"]
    assert "2027-02-28" in preview["text"]
    no = client.post(
        f"/api/v1/applications/{app_id}/agreement",
        json={"accept": False, "signer_name": "张三"},
        headers=as_(world, "person_l1"),
    )
    assert no.status_code == 422
    signed = client.post(
        f"/api/v1/applications/{app_id}/agreement",
        json={"accept": True, "signer_name": "张三", "agreement_sha256": preview["sha256"]},
        headers=as_(world, "person_l1"),
    )
    assert signed.status_code == 200, signed.json()
    assert signed.json()["state"] == "signed"
    assert signed.json()["agreement"]["sha256"] == preview["sha256"]
    twice = client.post(
        f"/api/v1/applications/{app_id}/agreement",
        json={"accept": True, "signer_name": "张三"},
        headers=as_(world, "person_l1"),
    )
    assert twice.status_code == 409

    with platform.db.reading() as session:
        agreement = session.scalar(select(UsageAgreement).where(UsageAgreement.application_id == app_id))
        assert agreement is not None and agreement.sha256 == preview["sha256"]
        grant = session.scalar(select(AccessGrant).where(AccessGrant.application_id == app_id))
        assert grant is not None and grant.fields == ["stop_name"] and grant.daily_quota == 500
        assert grant.agreement_id == agreement.id
        sign_record = session.scalar(
            select(AuditRecord).where(AuditRecord.action == "access.application_sign")
        )
        assert (
            sign_record is not None
            and json.loads(sign_record.details)["agreement_sha256"] == agreement.sha256
        )
        steps = [
            r
            for r in session.scalars(
                select(AuditRecord.action).where(AuditRecord.subject_id == app_id).order_by(AuditRecord.seq)
            )
        ]
    assert steps[:2] == ["access.application_submit", "access.application_return_incomplete"]
    assert "access.application_refer" in steps and "access.application_expert_opinion" in steps

    # Who sees what.
    assert client.get(f"/api/v1/applications/{app_id}", headers=as_(world, "staff_b")).status_code == 404
    assert client.get(f"/api/v1/applications/{app_id}", headers=as_(world, "staff_a")).status_code == 200
    assert client.get("/api/v1/applications", headers=as_(world, "center")).json()["total"] == 1
    assert client.get("/api/v1/applications", headers=as_(world, "staff_b")).json()["total"] == 0
    assert client.get("/api/v1/applications", headers=as_(world, "company_l2")).json()["total"] == 0

    report = verify_audit_log(platform, actor=SYSTEM)
    assert report.ok, report.problems[:3]
    assert report.checked > 40


@pytest.mark.req("ACC-2", "ACC-3", "ACC-4", "ACC-5")
def test_portal_pages_and_json_twins(client: TestClient, world: World) -> None:
    panel = client.get(f"/datasets/{world.code}.json").json()["panels"]["access"]
    assert panel["apply_url"] == f"/access/apply/{world.code}"
    assert [m["key"] for m in panel["materials"]][:2] == ["scenario_description", "security_capability"]
    html = client.get(f"/datasets/{world.code}").text
    assert "申请材料清单" in html and "信用承诺书" in html
    assert "Materials an application needs" in client.get(f"/datasets/{world.code}?lang=en").text
    client.cookies.clear()

    person = as_(world, "person_l1")
    form = client.get(f"/access/apply/{world.code}.json", headers=person).json()
    assert form["may_apply"] is True
    assert (
        client.get(f"/access/apply/{world.code}.json", headers=as_(world, "person_l0")).json()["may_apply"]
        is False
    )
    data = {
        "purpose": "开发公交到站提醒应用",
        "scenario": "面向市民的公交出行服务",
        "fields": ["stop_name"],
        "period_start": "2026-12-01",
        "period_end": "2027-06-30",
        "security_measures": "加密存储，专人管理",
        "idempotency_key": form["idempotency_key"],
    } | {f"m_{k}": v for k, v in MATERIALS.items()}
    files = {"f_qualification_documents": ("资质.pdf", io.BytesIO(b"%PDF-1.4 q"), "application/pdf")}
    incomplete = client.post(f"/access/apply/{world.code}", data={**data, "purpose": ""}, headers=person)
    assert incomplete.status_code == 422 and "申请用途" in incomplete.text
    sent = client.post(
        f"/access/apply/{world.code}", data=data, files=files, headers=person, follow_redirects=False
    )
    assert sent.status_code == 303, sent.text
    app_id = sent.headers["location"].split("/")[-1].split("?")[0]
    again = client.post(
        f"/access/apply/{world.code}", data=data, files=files, headers=person, follow_redirects=False
    )
    assert again.headers["location"].split("?")[0] == sent.headers["location"].split("?")[0]  # idempotent

    mine = client.get("/access/applications.json", headers=person).json()
    assert mine["total"] == 1 and mine["items"][0]["current_order"]["remaining_working_days"] >= 1
    queue = client.get("/access/center.json", headers=as_(world, "center")).json()
    assert [i["id"] for i in queue["items"]] == [app_id]
    assert client.get("/access/center.json", headers=person).status_code == 403
    detail = client.get(f"/access/applications/{app_id}.json", headers=as_(world, "center")).json()
    assert detail["can"]["check"] is True and detail["can"]["decide"] is False
    returned = client.post(
        f"/access/applications/{app_id}/return",
        data={"reason_purpose": "用途过于笼统", "reason_qualification_documents": "扫描件不清晰"},
        headers=as_(world, "center"),
        follow_redirects=False,
    )
    assert returned.status_code == 303
    shown = client.get(f"/access/applications/{app_id}", headers=person).text
    assert "用途过于笼统" in shown and "扫描件不清晰" in shown
    edit = client.get(f"/access/applications/{app_id}/edit.json", headers=person).json()
    upload_id = edit["application"]["materials"]["qualification_documents"]["upload_id"]
    resent = client.post(
        f"/access/applications/{app_id}/edit",
        data={**data, "keep_qualification_documents": upload_id},
        headers=person,
        follow_redirects=False,
    )
    assert resent.status_code == 303, resent.text
    assert (
        client.post(
            f"/access/applications/{app_id}/accept",
            data={},
            headers=as_(world, "center"),
            follow_redirects=False,
        ).status_code
        == 303
    )
    provider = client.get("/access/provider.json", headers=as_(world, "staff_a")).json()
    assert [i["id"] for i in provider["items"]] == [app_id]
    assert (
        client.post(
            f"/access/applications/{app_id}/approve",
            data={"fields": ["stop_name"]},
            headers=as_(world, "staff_a"),
            follow_redirects=False,
        ).status_code
        == 303
    )
    sign = client.get(f"/access/applications/{app_id}/sign.json", headers=person).json()
    assert sign["agreement"]["signed_at"] is None
    done = client.post(
        f"/access/applications/{app_id}/sign",
        data={"accept": "yes", "signer_name": "张三", "agreement_sha256": sign["agreement"]["sha256"]},
        headers=person,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    final = client.get(f"/access/applications/{app_id}.json", headers=person).json()["application"]
    assert final["state"] == "signed" and final["rounds"] == 2
    assert final["agreement"]["sha256"] == sign["agreement"]["sha256"] and final["agreement"]["grant_id"]
