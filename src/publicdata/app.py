"""create_app(): the FastAPI application with its routers, error handlers and platform context."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from publicdata import __version__
from publicdata.access.api import router as access_router
from publicdata.audit.api import router as audit_router
from publicdata.audit.service import record_api_call
from publicdata.catalog.api import router as catalog_router
from publicdata.catalog.review_api import router as open_list_review_router
from publicdata.config import Settings, get_settings
from publicdata.datastore.api import router as datastore_router
from publicdata.datastore.jobs import kick_worker
from publicdata.http import install_error_handlers
from publicdata.identity.api import router as identity_router
from publicdata.identity.permissions import Principal
from publicdata.notifications.api import router as inbox_router
from publicdata.objections.api import router as objections_router
from publicdata.platform import Platform
from publicdata.privacy.api import router as privacy_router
from publicdata.quality.api import router as quality_router
from publicdata.web.pages import mount_static
from publicdata.web.pages import router as web_router
from publicdata.workdays.api import router as calendar_router
from publicdata.workorders.api import router as workorders_router
from publicdata.workorders.scheduled import start_ticker


class TokenCallTrace:
    """Audit every call made with an API token (`api.call`), after its response is sent. A plain ASGI
    middleware: Starlette's `@app.middleware("http")` wraps each response in extra streams and tasks,
    a cost every request paid."""

    def __init__(self, app: ASGIApp, platform: Platform) -> None:
        self.app = app
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            principal = scope.get("state", {}).get("principal")
            if isinstance(principal, Principal) and principal.token_id:
                await run_in_threadpool(
                    record_api_call,
                    self.platform,
                    actor=principal,
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=(time.perf_counter() - started) * 1000,
                )


def create_app(platform: Platform | None = None, *, settings: Settings | None = None) -> FastAPI:
    platform = platform or Platform.from_settings(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Timed duties (overdue work orders, reminders, mail) run in-process; several servers may tick
        # at once because each duty locks its rows and acts once. 0 minutes turns it off.
        stop = start_ticker(platform) if platform.settings.tick_interval_minutes > 0 else None
        kick_worker(platform)  # re-queue ingest jobs a dead process left running, clear temp files
        yield
        if stop is not None:
            stop.set()
        platform.close()

    app = FastAPI(
        title="publicdata",
        version=__version__,
        description="公共数据开放平台 API — Public data platform API (catalog, access, sharing, audit).",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.platform = platform
    install_error_handlers(app)
    # Routes are matched in order: the data store's (the most called) first; no path of it overlaps
    # another router's.
    app.include_router(datastore_router)
    app.include_router(identity_router)
    app.include_router(catalog_router)
    app.include_router(audit_router)
    app.include_router(open_list_review_router)
    app.include_router(workorders_router)
    app.include_router(inbox_router)
    app.include_router(calendar_router)
    app.include_router(privacy_router)
    app.include_router(quality_router)
    app.include_router(access_router)
    app.include_router(objections_router)
    app.include_router(web_router)  # portal pages, after the API (each page has a JSON twin)
    mount_static(app)

    app.add_middleware(TokenCallTrace, platform=platform)

    @app.get("/api/v1/health", operation_id="health", tags=["platform"])
    def health() -> dict[str, str]:
        with platform.db.reading() as session:
            session.connection().exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__, "database": platform.db.engine.dialect.name}

    return app
