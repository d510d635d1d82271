"""create_app(): the FastAPI application with its routers, error handlers and platform context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from publicdata import __version__
from publicdata.catalog.api import router as catalog_router
from publicdata.config import Settings, get_settings
from publicdata.http import install_error_handlers
from publicdata.identity.api import router as identity_router
from publicdata.platform import Platform


def create_app(platform: Platform | None = None, *, settings: Settings | None = None) -> FastAPI:
    platform = platform or Platform.from_settings(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
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
    app.include_router(identity_router)
    app.include_router(catalog_router)

    @app.get("/api/v1/health", operation_id="health", tags=["platform"])
    def health() -> dict[str, str]:
        with platform.db.reading() as session:
            session.connection().exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__, "database": platform.db.engine.dialect.name}

    return app
