"""Identity API: organizations, registration, sign-in, verification, staff, tokens.

Thin: parse, call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from publicdata.http import (
    SESSION_COOKIE,
    PageDep,
    PlatformDep,
    PrincipalDep,
    UserDep,
    client_ip,
    page_of,
    read_session_cookie,
    session_serializer,
)
from publicdata.identity import auth, service
from publicdata.identity.model import OrgKind
from publicdata.identity.schemas import (
    LoginIn,
    OrganizationIn,
    OrganizationOut,
    PersonVerificationIn,
    RegisterIn,
    StaffIn,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserOut,
    VerificationRequestOut,
    VerificationReviewIn,
)

router = APIRouter(prefix="/api/v1")


@router.get("/organizations", operation_id="list_organizations", tags=["organizations"])
def list_organizations(platform: PlatformDep, page: PageDep, kind: OrgKind | None = None) -> dict[str, Any]:
    total, items = service.list_organizations(platform, kind=kind, offset=page.offset, limit=page.limit)
    return page_of(total, page, items)


@router.get("/organizations/{ref}", operation_id="get_organization", tags=["organizations"])
def get_organization(platform: PlatformDep, ref: str) -> OrganizationOut:
    return service.get_organization(platform, ref=ref)


@router.post("/organizations", operation_id="create_organization", tags=["organizations"], status_code=201)
def create_organization(platform: PlatformDep, actor: PrincipalDep, body: OrganizationIn) -> OrganizationOut:
    return service.create_organization(platform, actor=actor, data=body)


@router.post("/users", operation_id="register_user", tags=["users"], status_code=201)
def register(platform: PlatformDep, actor: PrincipalDep, body: RegisterIn) -> UserOut:
    return service.register_user(platform, data=body, actor=actor)


@router.get("/users", operation_id="list_users", tags=["users"])
def list_users(platform: PlatformDep, actor: PrincipalDep, page: PageDep) -> dict[str, Any]:
    total, items = service.list_users(platform, actor=actor, offset=page.offset, limit=page.limit)
    return page_of(total, page, items)


@router.post("/users/staff", operation_id="create_staff_user", tags=["users"], status_code=201)
def create_staff(platform: PlatformDep, actor: PrincipalDep, body: StaffIn) -> UserOut:
    return service.create_staff_user(platform, actor=actor, data=body)


@router.get("/users/me", operation_id="get_me", tags=["users"])
def me(platform: PlatformDep, actor: UserDep) -> UserOut:
    assert actor.user_id is not None
    return service.get_user(platform, actor=actor, user_id=actor.user_id)


@router.post("/users/me/verification/person", operation_id="verify_person", tags=["users"])
def verify_person(platform: PlatformDep, actor: PrincipalDep, body: PersonVerificationIn) -> UserOut:
    return service.verify_person(
        platform, actor=actor, real_name=body.real_name, resident_id=body.resident_id, mobile=body.mobile
    )


@router.post(
    "/users/me/verification/company",
    operation_id="submit_company_verification",
    tags=["users"],
    status_code=201,
)
def submit_company_verification(
    platform: PlatformDep,
    actor: PrincipalDep,
    credit_code: Annotated[str, Form()],
    organization_name: Annotated[str, Form()],
    licence: Annotated[UploadFile, File()],
) -> VerificationRequestOut:
    return service.submit_company_verification(
        platform,
        actor=actor,
        credit_code=credit_code,
        organization_name=organization_name,
        licence_filename=licence.filename or "licence",
        licence=licence.file,
    )


@router.get("/verification-requests", operation_id="list_verification_requests", tags=["users"])
def list_verification_requests(
    platform: PlatformDep, actor: PrincipalDep, status: str | None = "pending"
) -> list[VerificationRequestOut]:
    return service.list_verification_requests(platform, actor=actor, status=status)


@router.post("/verification-requests/{request_id}/review", operation_id="review_verification", tags=["users"])
def review_verification(
    platform: PlatformDep, actor: PrincipalDep, request_id: str, body: VerificationReviewIn
) -> VerificationRequestOut:
    return service.review_company_verification(
        platform, actor=actor, request_id=request_id, approve=body.approve, note=body.note
    )


@router.post("/auth/login", operation_id="login", tags=["auth"])
def login(platform: PlatformDep, request: Request, response: Response, body: LoginIn) -> dict[str, Any]:
    principal = auth.authenticate(
        platform, username=body.username, password=body.password, client_ip=client_ip(request)
    )
    ticket = auth.start_session(platform, principal=principal)
    response.set_cookie(
        SESSION_COOKIE,
        session_serializer(platform).dumps(ticket.session_id),
        max_age=platform.settings.session_max_age_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=platform.settings.public_base_url.startswith("https://"),
    )
    assert principal.user_id is not None
    user = service.get_user(platform, actor=principal, user_id=principal.user_id)
    return {
        "user": user.model_dump(mode="json"),
        "csrf_token": ticket.csrf_token,
        "expires_at": ticket.expires_at.isoformat(),
    }


@router.post("/auth/logout", operation_id="logout", tags=["auth"], status_code=204)
def logout(platform: PlatformDep, request: Request, response: Response, actor: PrincipalDep) -> Response:
    session_id = read_session_cookie(request, platform)
    if session_id:
        auth.end_session(platform, actor=actor, session_id=session_id)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/users/me/tokens", operation_id="list_tokens", tags=["auth"])
def list_tokens(platform: PlatformDep, actor: UserDep) -> list[TokenOut]:
    return auth.list_tokens(platform, actor=actor)


@router.post("/users/me/tokens", operation_id="create_token", tags=["auth"], status_code=201)
def create_token(platform: PlatformDep, actor: UserDep, body: TokenIn) -> TokenCreated:
    return auth.create_token(
        platform, actor=actor, name=body.name, scopes=body.scopes, expires_in_days=body.expires_in_days
    )


@router.delete("/users/me/tokens/{token_id}", operation_id="revoke_token", tags=["auth"])
def revoke_token(platform: PlatformDep, actor: UserDep, token_id: str) -> TokenOut:
    return auth.revoke_token(platform, actor=actor, token_id=token_id)
