"""The application with the portal pages, whether or not create_app already includes them."""

from __future__ import annotations

from fastapi import FastAPI

from publicdata.app import create_app
from publicdata.platform import Platform
from publicdata.web.pages import mount_static, router


def portal_app(platform: Platform) -> FastAPI:
    app = create_app(platform)
    paths = {getattr(route, "path", None) for route in app.routes}
    if "/datasets" not in paths:
        app.include_router(router)
    if "/static" not in paths:
        mount_static(app)
    return app
