"""Request and response shapes for identity (pydantic). Field names are the API's names."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from publicdata.identity.model import OrgKind, Role, UserKind


class OrganizationIn(BaseModel):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=2, max_length=200)
    short_name: str = Field(default="", max_length=100)
    name_en: str = Field(default="", max_length=200)
    kind: OrgKind
    parent_code: str | None = None
    area_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    credit_code: str | None = None
    description: str = ""


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    short_name: str
    name_en: str
    kind: OrgKind
    parent_id: str | None
    parent_code: str | None = None
    area_code: str | None
    credit_code: str | None
    description: str
    dataset_count: int | None = None


class RegisterIn(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=1, max_length=256)
    kind: UserKind = UserKind.PERSON
    display_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    mobile: str | None = None


class StaffIn(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=1, max_length=256)
    display_name: str = ""
    email: str | None = None
    role: Role
    organization_code: str | None = None


class PersonVerificationIn(BaseModel):
    real_name: str
    resident_id: str
    mobile: str


class VerificationReviewIn(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=2000)


class RoleOut(BaseModel):
    role: Role
    organization_id: str | None


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    kind: UserKind
    email: str | None
    mobile_masked: str | None
    verification_level: int
    verification_status: str
    real_name_masked: str | None
    resident_id_masked: str | None
    organization_name: str | None
    credit_code: str | None
    organization_id: str | None
    roles: list[RoleOut]
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class VerificationRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    credit_code: str
    organization_name: str
    licence_sha256: str
    licence_media_type: str
    status: str
    submitted_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str


class LoginIn(BaseModel):
    username: str
    password: str


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(default_factory=lambda: ["read"])
    expires_in_days: int = Field(default=90, ge=1, le=3650)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret token. Shown once; store it now.")
