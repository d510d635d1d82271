"""The portal's router (every page and its JSON twin) and the static-file mount, for the lead to wire:

from publicdata.web.pages import mount_static, router as web_router
app.include_router(web_router)
mount_static(app)
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from publicdata.web import (
    access_pages,
    account,
    backoffice,
    center,
    grant_pages,
    objection_pages,
    portal,
    quality_panel,
)
from publicdata.web.render import STATIC_DIR

router = APIRouter()
router.include_router(portal.router)
router.include_router(account.router)
router.include_router(backoffice.router)
router.include_router(center.router)
router.include_router(access_pages.router)
router.include_router(grant_pages.router)
router.include_router(objection_pages.router)
router.include_router(quality_panel.router)


def mount_static(app: FastAPI) -> None:
    """Serve the portal's CSS and JS (vendored; no CDN) under /static."""
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
