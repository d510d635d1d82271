"""Policies and news (PLT-4): the center writes them, everyone reads the published ones."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.db import utcnow
from publicdata.errors import NotFound
from publicdata.identity import permissions as rules
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform
from publicdata.web.tables import ContentPage

PageKind = Literal["policy", "news"]

# "js-default" escapes raw HTML in the source: a page body can never inject markup or scripts.
_markdown = MarkdownIt("js-default")


class PageIn(BaseModel):
    kind: PageKind
    title: str = Field(min_length=2, max_length=300)
    title_en: str = Field(default="", max_length=300)
    body: str = Field(default="", max_length=100_000)
    published: bool = True


class PageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: PageKind
    title: str
    title_en: str
    body: str
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


def render_markdown(body: str) -> Markup:
    return Markup(_markdown.render(body))


def _find(session: Session, page_id: str) -> ContentPage:
    page = session.get(ContentPage, page_id)
    if page is None:
        raise NotFound("page not found", message_zh="页面不存在")
    return page


def list_pages(
    platform: Platform,
    *,
    actor: Principal,
    kind: PageKind | None = None,
    include_drafts: bool = False,
    offset: int = 0,
    limit: int = 20,
) -> tuple[int, list[PageOut]]:
    if include_drafts:
        require(rules.can_manage_content(actor))
    query = select(ContentPage)
    if kind:
        query = query.where(ContentPage.kind == kind)
    if not include_drafts:
        query = query.where(ContentPage.published_at.is_not(None))
    with platform.db.reading() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(ContentPage.published_at.desc(), ContentPage.created_at.desc())
            .offset(offset)
            .limit(limit)
        )
        return total, [PageOut.model_validate(r) for r in rows]


def get_page(platform: Platform, *, actor: Principal, page_id: str) -> PageOut:
    with platform.db.reading() as session:
        page = _find(session, page_id)
        if page.published_at is None and not rules.can_manage_content(actor):
            raise NotFound("page not found", message_zh="页面不存在")
        return PageOut.model_validate(page)


def save_page(platform: Platform, *, actor: Principal, data: PageIn, page_id: str | None = None) -> PageOut:
    """Create (no id) or update a page; `published` sets or clears the publication time."""
    require(rules.can_manage_content(actor))
    now = utcnow()
    with platform.db.transaction() as session:
        if page_id is None:
            page = ContentPage(kind=data.kind, created_by=actor.user_id, created_at=now)
            session.add(page)
        else:
            page = _find(session, page_id)
        page.kind = data.kind
        page.title = data.title.strip()
        page.title_en = data.title_en.strip()
        page.body = data.body
        page.updated_at = now
        if data.published and page.published_at is None:
            page.published_at = now
        elif not data.published:
            page.published_at = None
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="content.create" if page_id is None else "content.update",
            subject_type="page",
            subject_id=page.id,
            details={"kind": page.kind, "title": page.title, "published": data.published},
        )
        return PageOut.model_validate(page)


def delete_page(platform: Platform, *, actor: Principal, page_id: str) -> None:
    require(rules.can_manage_content(actor))
    with platform.db.transaction() as session:
        page = _find(session, page_id)
        record_audit(
            session,
            actor=actor,
            action="content.delete",
            subject_type="page",
            subject_id=page.id,
            details={"kind": page.kind, "title": page.title},
        )
        session.delete(page)
