"""HTTP API of applications for conditional data (ACC-2..ACC-5, ACC-8): materials per dataset,
applications (idempotent submission), the center's check, the provider's decision, expert opinions,
resubmission, the usage agreement, and the center's credit list. Grants' routes come from grant_api."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Header, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from publicdata.access import agreements, applications, credit, decisions, grant_api, requirements
from publicdata.access.app_schemas import (
    AgreementOut,
    ApplicationIn,
    ApplicationOut,
    ApproveIn,
    OpinionIn,
    ProblemsIn,
    ReferIn,
    RequirementIn,
    RequirementOut,
    SignIn,
)
from publicdata.http import PageDep, PlatformDep, PrincipalDep, page_of

router = APIRouter(prefix="/api/v1", tags=["access"])


@router.get("/datasets/{ref}/access-requirements", operation_id="get_access_requirements")
def get_requirements(platform: PlatformDep, actor: PrincipalDep, ref: str) -> RequirementOut:
    return requirements.get_requirements(platform, actor=actor, dataset_ref=ref)


@router.put("/datasets/{ref}/access-requirements", operation_id="set_access_requirements")
def set_requirements(
    platform: PlatformDep, actor: PrincipalDep, ref: str, body: RequirementIn
) -> RequirementOut:
    return requirements.set_requirements(platform, actor=actor, dataset_ref=ref, data=body)


@router.post(
    "/applications",
    operation_id="submit_application",
    status_code=201,
    responses={200: {"description": "the same Idempotency-Key: the application created the first time"}},
)
def submit(
    platform: PlatformDep,
    actor: PrincipalDep,
    body: ApplicationIn,
    idempotency_key: Annotated[str | None, Header(max_length=80)] = None,
) -> JSONResponse:
    out, created = applications.submit_application(
        platform, actor=actor, data=body, idempotency_key=idempotency_key
    )
    return JSONResponse(jsonable_encoder(out), status_code=201 if created else 200)


@router.get("/applications", operation_id="list_applications")
def list_applications(
    platform: PlatformDep,
    actor: PrincipalDep,
    page: PageDep,
    state: str | None = None,
    dataset: str | None = None,
    scope: str = "auto",
) -> dict[str, Any]:
    total, items = applications.list_applications(
        platform, actor=actor, state=state, dataset=dataset, scope=scope, offset=page.offset, limit=page.limit
    )
    return page_of(total, page, items)


@router.get("/applications/{application_id}", operation_id="get_application")
def get_application(platform: PlatformDep, actor: PrincipalDep, application_id: str) -> ApplicationOut:
    return applications.get_application(platform, actor=actor, application_id=application_id)


@router.put("/applications/{application_id}", operation_id="resubmit_application")
def resubmit(
    platform: PlatformDep, actor: PrincipalDep, application_id: str, body: ApplicationIn
) -> ApplicationOut:
    return applications.resubmit_application(platform, actor=actor, application_id=application_id, data=body)


@router.post("/applications/{application_id}/withdraw", operation_id="withdraw_application")
def withdraw(platform: PlatformDep, actor: PrincipalDep, application_id: str) -> ApplicationOut:
    return applications.withdraw_application(platform, actor=actor, application_id=application_id)


@router.post("/applications/{application_id}/accept", operation_id="accept_application")
def accept(platform: PlatformDep, actor: PrincipalDep, application_id: str) -> ApplicationOut:
    return decisions.accept_application(platform, actor=actor, application_id=application_id)


@router.post("/applications/{application_id}/return", operation_id="return_incomplete_application")
def return_incomplete(
    platform: PlatformDep, actor: PrincipalDep, application_id: str, body: ProblemsIn
) -> ApplicationOut:
    return decisions.return_incomplete(
        platform, actor=actor, application_id=application_id, problems=body.problems, note=body.note
    )


@router.post("/applications/{application_id}/approve", operation_id="approve_application")
def approve(
    platform: PlatformDep, actor: PrincipalDep, application_id: str, body: ApproveIn
) -> ApplicationOut:
    scope = body.model_dump(mode="json", exclude={"note"}, exclude_none=True)
    return decisions.approve_application(
        platform, actor=actor, application_id=application_id, scope=scope, note=body.note
    )


@router.post("/applications/{application_id}/refuse", operation_id="refuse_application")
def refuse(
    platform: PlatformDep, actor: PrincipalDep, application_id: str, body: ProblemsIn
) -> ApplicationOut:
    return decisions.refuse_application(
        platform, actor=actor, application_id=application_id, problems=body.problems, note=body.note
    )


@router.post("/applications/{application_id}/refer", operation_id="refer_application_to_experts")
def refer(platform: PlatformDep, actor: PrincipalDep, application_id: str, body: ReferIn) -> ApplicationOut:
    return decisions.refer_to_experts(
        platform,
        actor=actor,
        application_id=application_id,
        note=body.note,
        experts_needed=body.experts_needed,
    )


@router.post(
    "/applications/{application_id}/expert-opinions", operation_id="give_expert_opinion", status_code=201
)
def opinion(
    platform: PlatformDep, actor: PrincipalDep, application_id: str, body: OpinionIn
) -> ApplicationOut:
    return decisions.give_opinion(
        platform,
        actor=actor,
        application_id=application_id,
        recommendation=body.recommendation,
        opinion=body.opinion,
    )


@router.get("/applications/{application_id}/agreement", operation_id="get_usage_agreement")
def get_agreement(platform: PlatformDep, actor: PrincipalDep, application_id: str) -> AgreementOut:
    return agreements.preview_agreement(platform, actor=actor, application_id=application_id)


@router.post("/applications/{application_id}/agreement", operation_id="sign_usage_agreement")
def sign(platform: PlatformDep, actor: PrincipalDep, application_id: str, body: SignIn) -> ApplicationOut:
    return agreements.sign_agreement(
        platform,
        actor=actor,
        application_id=application_id,
        accept=body.accept,
        signer_name=body.signer_name,
        agreement_sha256=body.agreement_sha256,
    )


@router.get("/credit-list", operation_id="list_credit_entries")
def list_credit(platform: PlatformDep, actor: PrincipalDep) -> list[credit.CreditEntryOut]:
    return credit.list_entries(platform, actor=actor)


@router.post("/credit-list", operation_id="add_credit_entry", status_code=201)
def add_credit(
    platform: PlatformDep, actor: PrincipalDep, body: credit.CreditEntryIn
) -> credit.CreditEntryOut:
    return credit.add_entry(platform, actor=actor, data=body)


@router.post("/credit-list/import", operation_id="import_credit_list")
def import_credit(
    platform: PlatformDep, actor: PrincipalDep, file: Annotated[UploadFile, File()]
) -> dict[str, int]:
    return credit.import_csv(platform, actor=actor, content=file.file.read(5 * 1024 * 1024))


@router.delete("/credit-list/{entry_id}", operation_id="remove_credit_entry", status_code=204)
def remove_credit(platform: PlatformDep, actor: PrincipalDep, entry_id: str) -> None:
    credit.remove_entry(platform, actor=actor, entry_id=entry_id)


router.include_router(grant_api.router)
