"""Identity use-cases: organizations, registration, verification (ACC-12), staff and roles (SEC-1)."""

from __future__ import annotations

import hashlib
import hmac
from typing import BinaryIO

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.db import utcnow
from publicdata.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from publicdata.identity import permissions as rules
from publicdata.identity.model import (
    ROLE_ORG_KIND,
    IdentifierError,
    OrgKind,
    Role,
    UserKind,
    VerificationLevel,
    VerificationStatus,
    check_credit_code,
    check_mobile,
    check_real_name,
    check_resident_id,
    password_problems,
)
from publicdata.identity.permissions import Principal
from publicdata.identity.schemas import (
    OrganizationIn,
    OrganizationOut,
    RegisterIn,
    RoleOut,
    StaffIn,
    UserOut,
    VerificationRequestOut,
)
from publicdata.identity.tables import Organization, RoleGrant, User, VerificationRequest
from publicdata.platform import Platform
from publicdata.uploads import store_upload

LICENCE_TYPES = {"application/pdf", "image/png", "image/jpeg"}
LICENCE_MAX_BYTES = 10 * 1024 * 1024


def require(decision: rules.Decision) -> None:
    if decision.needs_sign_in:
        raise NotAuthenticated(decision.reason_en, message_zh=decision.reason_zh)
    if not decision:
        raise PermissionDenied(decision.reason_en, message_zh=decision.reason_zh)


def identifier_error(exc: IdentifierError, field: str) -> ValidationFailed:
    return ValidationFailed(
        exc.message_en,
        message_zh=exc.message_zh,
        code=exc.code,
        details=[{"field": field, "message": exc.message_en}],
    )


# ---------------------------------------------------------------------------------------------
# Organizations (CAT-1)
# ---------------------------------------------------------------------------------------------


def organization_out(org: Organization, dataset_count: int | None = None) -> OrganizationOut:
    out = OrganizationOut.model_validate(org)
    out.parent_code = org.parent.code if org.parent else None
    out.dataset_count = dataset_count
    return out


def create_organization(platform: Platform, *, actor: Principal, data: OrganizationIn) -> OrganizationOut:
    require(rules.can_manage_organizations(actor))
    credit_code = None
    if data.credit_code:
        try:
            credit_code = check_credit_code(data.credit_code)
        except IdentifierError as exc:
            raise identifier_error(exc, "credit_code") from exc
    with platform.db.transaction() as session:
        if session.scalar(select(Organization.id).where(Organization.code == data.code)):
            raise Conflict(f"organization code '{data.code}' exists", message_zh="机构代码已存在")
        parent = None
        if data.parent_code:
            parent = session.scalar(select(Organization).where(Organization.code == data.parent_code))
            if parent is None:
                raise ValidationFailed(
                    f"parent organization '{data.parent_code}' does not exist",
                    message_zh="上级机构不存在",
                    details=[{"field": "parent_code", "message": "unknown organization"}],
                )
        org = Organization(
            code=data.code,
            name=data.name,
            short_name=data.short_name or data.name,
            name_en=data.name_en,
            kind=data.kind.value,
            parent=parent,
            area_code=data.area_code,
            credit_code=credit_code,
            description=data.description,
        )
        session.add(org)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="organization.create",
            subject_type="organization",
            subject_id=org.id,
            organization_id=org.id,
            details={"code": org.code, "name": org.name, "kind": org.kind},
        )
        return organization_out(org)


def find_organization(session: Session, ref: str) -> Organization:
    org = session.scalar(select(Organization).where((Organization.id == ref) | (Organization.code == ref)))
    if org is None:
        raise NotFound(f"organization '{ref}' not found", message_zh="机构不存在")
    return org


def get_organization(platform: Platform, *, ref: str) -> OrganizationOut:
    with platform.db.reading() as session:
        return organization_out(find_organization(session, ref))


def list_organizations(
    platform: Platform, *, kind: OrgKind | None = None, offset: int = 0, limit: int = 100
) -> tuple[int, list[OrganizationOut]]:
    from publicdata.catalog.tables import Dataset  # catalog depends on identity, not the reverse

    with platform.db.reading() as session:
        query = select(Organization)
        if kind is not None:
            query = query.where(Organization.kind == kind.value)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        orgs = session.scalars(
            query.order_by(Organization.kind, Organization.code).offset(offset).limit(limit)
        )
        counted = session.execute(select(Dataset.provider_id, func.count()).group_by(Dataset.provider_id))
        counts: dict[str, int] = {provider_id: n for provider_id, n in counted}
        return total, [organization_out(o, counts.get(o.id, 0)) for o in orgs]


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------


def _mask(value: str | None, keep_start: int, keep_end: int) -> str | None:
    if not value:
        return None
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def verification_status(session: Session, user: User) -> str:
    if user.kind == UserKind.PERSON.value:
        return VerificationStatus.APPROVED if user.verification_level >= 1 else VerificationStatus.NONE
    if user.kind == UserKind.STAFF.value:
        return VerificationStatus.APPROVED
    latest = session.scalar(
        select(VerificationRequest.status)
        .where(VerificationRequest.user_id == user.id)
        .order_by(VerificationRequest.submitted_at.desc())
        .limit(1)
    )
    return latest or VerificationStatus.NONE


def user_out(session: Session, user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        kind=UserKind(user.kind),
        email=user.email,
        mobile_masked=_mask(user.mobile, 3, 4),
        verification_level=user.verification_level,
        verification_status=verification_status(session, user),
        real_name_masked=_mask(user.real_name, 0, 1),
        resident_id_masked=user.resident_id_masked,
        organization_name=user.organization_name,
        credit_code=user.credit_code,
        organization_id=user.organization_id,
        roles=[RoleOut(role=Role(g.role), organization_id=g.organization_id) for g in user.roles],
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def _check_password(password: str, username: str) -> None:
    problems = password_problems(password, username=username)
    if problems:
        raise ValidationFailed(
            "the password is too weak: " + "; ".join(problems),
            message_zh="密码强度不足：至少10位，并混合大小写字母、数字或符号中的两类",
            code="weak_password",
            details=[{"field": "password", "message": p} for p in problems],
        )


def _new_user(
    session: Session,
    *,
    hasher: PasswordHasher,
    username: str,
    password: str,
    kind: UserKind,
    **fields: object,
) -> User:
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict("the username is taken", message_zh="用户名已被占用", code="username_taken")
    email = fields.get("email")
    if email and session.scalar(select(User.id).where(func.lower(User.email) == str(email).lower())):
        raise Conflict("the e-mail address is registered", message_zh="该邮箱已注册", code="email_taken")
    user = User(username=username, kind=kind.value, password_hash=hasher.hash(password), **fields)
    session.add(user)
    session.flush()
    return user


def register_user(platform: Platform, *, data: RegisterIn, actor: Principal = rules.ANONYMOUS) -> UserOut:
    """Self-registration of a person, company or other organization: level L0 (ACC-12)."""
    if data.kind is UserKind.STAFF:
        raise ValidationFailed(
            "staff accounts are created by administrators", message_zh="工作人员账号由管理员创建"
        )
    _check_password(data.password, data.username)
    mobile = None
    if data.mobile:
        try:
            mobile = check_mobile(data.mobile)
        except IdentifierError as exc:
            raise identifier_error(exc, "mobile") from exc
    with platform.db.transaction() as session:
        user = _new_user(
            session,
            hasher=platform.password_hasher,
            username=data.username,
            password=data.password,
            kind=data.kind,
            display_name=data.display_name or data.username,
            email=data.email,
            mobile=mobile,
            verification_level=VerificationLevel.L0,
        )
        session.add(RoleGrant(user_id=user.id, role=Role.USER.value))
        session.flush()
        session.refresh(user)
        record_audit(
            session,
            actor=actor if not actor.is_anonymous else rules.Principal(client_ip=actor.client_ip),
            action="user.register",
            subject_type="user",
            subject_id=user.id,
            details={"username": user.username, "kind": user.kind},
        )
        return user_out(session, user)


def create_staff_user(platform: Platform, *, actor: Principal, data: StaffIn) -> UserOut:
    """An administrator creates a staff account with its role in one organization."""
    require(rules.can_manage_users(actor))
    _check_password(data.password, data.username)
    with platform.db.transaction() as session:
        org = None
        allowed_kinds = ROLE_ORG_KIND.get(data.role)
        if allowed_kinds is not None:
            if not data.organization_code:
                raise ValidationFailed(
                    f"role '{data.role}' belongs to an organization",
                    message_zh="该角色必须属于一个机构",
                    details=[{"field": "organization_code", "message": "required for this role"}],
                )
            org = find_organization(session, data.organization_code)
            if OrgKind(org.kind) not in allowed_kinds:
                raise ValidationFailed(
                    f"role '{data.role}' cannot belong to a '{org.kind}' organization",
                    message_zh="角色与机构类型不匹配",
                    details=[{"field": "role", "message": f"not for {org.kind}"}],
                )
        kind = UserKind.PERSON if data.role in (Role.USER,) else UserKind.STAFF
        user = _new_user(
            session,
            hasher=platform.password_hasher,
            username=data.username,
            password=data.password,
            kind=kind,
            display_name=data.display_name or data.username,
            email=data.email,
            organization_id=org.id if org else None,
            verification_level=VerificationLevel.L2 if kind is UserKind.STAFF else VerificationLevel.L0,
        )
        session.add(RoleGrant(user_id=user.id, role=data.role.value, organization_id=org.id if org else None))
        session.flush()
        session.refresh(user)
        record_audit(
            session,
            actor=actor,
            action="user.create_staff",
            subject_type="user",
            subject_id=user.id,
            organization_id=org.id if org else None,
            details={
                "username": user.username,
                "role": data.role.value,
                "organization": data.organization_code,
            },
        )
        return user_out(session, user)


def get_user(platform: Platform, *, actor: Principal, user_id: str) -> UserOut:
    if actor.user_id != user_id:
        require(rules.can_view_user_list(actor))
    with platform.db.reading() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("user not found", message_zh="用户不存在")
        return user_out(session, user)


def list_users(
    platform: Platform, *, actor: Principal, offset: int = 0, limit: int = 50
) -> tuple[int, list[UserOut]]:
    require(rules.can_view_user_list(actor))
    with platform.db.reading() as session:
        total = session.scalar(select(func.count(User.id))) or 0
        users = session.scalars(select(User).order_by(User.created_at).offset(offset).limit(limit))
        return total, [user_out(session, u) for u in users]


# ---------------------------------------------------------------------------------------------
# Verification (ACC-12): L1 real-name for persons, L2 licence review for companies
# ---------------------------------------------------------------------------------------------


def resident_id_hmac(platform: Platform, number: str) -> str:
    key = platform.settings.persisted_secret("pii_key").encode()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def verify_person(
    platform: Platform, *, actor: Principal, real_name: str, resident_id: str, mobile: str
) -> UserOut:
    require(rules.can_verify_person(actor))
    problems = []
    checked: dict[str, str] = {}
    for field, check, value in (
        ("real_name", check_real_name, real_name),
        ("resident_id", lambda v: check_resident_id(v).number, resident_id),
        ("mobile", check_mobile, mobile),
    ):
        try:
            checked[field] = check(value)
        except IdentifierError as exc:
            problems.append((field, exc))
    if problems:
        # Report every wrong field at once rather than one per attempt.
        first = problems[0][1]
        raise ValidationFailed(
            "; ".join(exc.message_en for _, exc in problems),
            message_zh="；".join(exc.message_zh for _, exc in problems),
            code=first.code,
            details=[{"field": f, "code": exc.code, "message": exc.message_en} for f, exc in problems],
        )
    result = platform.identity_verifier.check_person(
        real_name=checked["real_name"], resident_id=checked["resident_id"], mobile=checked["mobile"]
    )
    with platform.db.transaction() as session:
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound("user not found", message_zh="用户不存在")
        if not result.matched:
            record_audit(
                session,
                actor=actor,
                action="user.verify_person.refused",
                subject_type="user",
                subject_id=user.id,
                details={"source": result.source, "reason": result.reason},
            )
            session.commit()
            raise ValidationFailed(
                "the identity service did not confirm this name and ID number",
                message_zh="身份核验未通过：姓名与身份证号码不一致",
                code="identity_not_confirmed",
                details={"source": result.source, "reason": result.reason},
            )
        digest = resident_id_hmac(platform, checked["resident_id"])
        other = session.scalar(select(User.id).where(User.resident_id_hmac == digest, User.id != user.id))
        if other:
            raise Conflict(
                "this ID number is already verified on another account",
                message_zh="该身份证号码已被其他账号实名认证",
                code="resident_id_taken",
            )
        user.real_name = checked["real_name"]
        user.resident_id_hmac = digest
        user.resident_id_masked = _mask(checked["resident_id"], 3, 2)
        user.mobile = checked["mobile"]
        user.verification_level = max(user.verification_level, VerificationLevel.L1)
        record_audit(
            session,
            actor=actor,
            action="user.verify_person",
            subject_type="user",
            subject_id=user.id,
            details={"source": result.source, "level": int(user.verification_level)},
        )
        return user_out(session, user)


def submit_company_verification(
    platform: Platform,
    *,
    actor: Principal,
    credit_code: str,
    organization_name: str,
    licence_filename: str,
    licence: BinaryIO,
) -> VerificationRequestOut:
    require(rules.can_request_company_verification(actor))
    try:
        code = check_credit_code(credit_code)
    except IdentifierError as exc:
        raise identifier_error(exc, "credit_code") from exc
    if len(organization_name.strip()) < 2:
        raise ValidationFailed(
            "the organization name is required",
            message_zh="请填写单位名称",
            details=[{"field": "organization_name", "message": "required"}],
        )
    stored = store_upload(
        licence,
        directory=platform.uploads_dir / "licences",
        filename=licence_filename,
        allowed_types=LICENCE_TYPES,
        max_bytes=LICENCE_MAX_BYTES,
    )
    with platform.db.transaction() as session:
        pending = session.scalar(
            select(VerificationRequest.id).where(
                VerificationRequest.user_id == actor.user_id, VerificationRequest.status == "pending"
            )
        )
        if pending:
            raise Conflict(
                "a verification request is already pending", message_zh="已有待审核的认证申请", code="pending"
            )
        request = VerificationRequest(
            user_id=actor.user_id,
            credit_code=code,
            organization_name=organization_name.strip(),
            licence_path=str(stored.path),
            licence_sha256=stored.sha256,
            licence_media_type=stored.media_type,
        )
        session.add(request)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="user.verification.submit",
            subject_type="verification_request",
            subject_id=request.id,
            details={"credit_code": code, "licence_sha256": stored.sha256},
        )
        return VerificationRequestOut.model_validate(request)


def list_verification_requests(
    platform: Platform, *, actor: Principal, status: str | None = "pending"
) -> list[VerificationRequestOut]:
    require(rules.can_review_verifications(actor))
    with platform.db.reading() as session:
        query = select(VerificationRequest).order_by(VerificationRequest.submitted_at)
        if status:
            query = query.where(VerificationRequest.status == status)
        return [VerificationRequestOut.model_validate(r) for r in session.scalars(query)]


def review_company_verification(
    platform: Platform, *, actor: Principal, request_id: str, approve: bool, note: str = ""
) -> VerificationRequestOut:
    require(rules.can_review_verifications(actor))
    if not approve and not note.strip():
        raise ValidationFailed(
            "a rejection states its reasons", message_zh="驳回时须说明理由", details=[{"field": "note"}]
        )
    with platform.db.transaction() as session:
        request = session.get(VerificationRequest, request_id)
        if request is None:
            raise NotFound("verification request not found", message_zh="认证申请不存在")
        if request.status != "pending":
            raise Conflict(
                "this request was already decided", message_zh="该申请已处理", code="already_decided"
            )
        user = session.get(User, request.user_id)
        assert user is not None
        request.status = "approved" if approve else "rejected"
        request.reviewed_by = actor.user_id
        request.reviewed_at = utcnow()
        request.review_note = note
        if approve:
            user.verification_level = VerificationLevel.L2
            user.credit_code = request.credit_code
            user.organization_name = request.organization_name
        record_audit(
            session,
            actor=actor,
            action="user.verification.approve" if approve else "user.verification.reject",
            subject_type="verification_request",
            subject_id=request.id,
            details={"user_id": user.id, "note": note},
        )
        return VerificationRequestOut.model_validate(request)
