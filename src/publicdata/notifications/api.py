"""Inbox API: the signed-in user's notifications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from publicdata.http import PageDep, PlatformDep, UserDep, page_of
from publicdata.notifications import service
from publicdata.notifications.service import NotificationOut

router = APIRouter(prefix="/api/v1/me/inbox", tags=["notifications"])


@router.get("", operation_id="list_inbox")
def list_inbox(
    platform: PlatformDep, actor: UserDep, page: PageDep, unread_only: bool = False
) -> dict[str, Any]:
    total, unread, items = service.list_inbox(
        platform, actor=actor, unread_only=unread_only, offset=page.offset, limit=page.limit
    )
    return page_of(total, page, items) | {"unread": unread}


@router.post("/read-all", operation_id="mark_inbox_read")
def mark_all_read(platform: PlatformDep, actor: UserDep) -> dict[str, int]:
    return {"marked": service.mark_all_read(platform, actor=actor)}


@router.post("/{notification_id}/read", operation_id="mark_notification_read")
def mark_read(platform: PlatformDep, actor: UserDep, notification_id: str) -> NotificationOut:
    return service.mark_read(platform, actor=actor, notification_id=notification_id)
