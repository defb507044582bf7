"""The web application factory (design.md §4): ``create_app(settings)`` builds everything a
server needs from the settings it is given; nothing is global.

Pages are rendered on the server (Jinja2); two small scripts of the application's own (no
third-party JavaScript, nothing from a CDN) stream uploads and follow ingest progress. The JSON
API under ``/api/`` is described by OpenAPI at ``/api/openapi.json`` and has the same permissions
as the pages, because both go through the same case-access dependency.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from importlib import resources

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from threadline.services.workspace import Workspace, open_workspace, utc_now
from threadline.settings import Settings
from threadline.web import errors
from threadline.web.deps import csrf_protect
from threadline.web.jobs import IngestJobs
from threadline.web.render import make_templates
from threadline.web.routes import (
    admin,
    analyses,
    api,
    auth,
    cases,
    evidence,
    exhibits,
    network,
    phone,
)
from threadline.web.routes import map as case_map
from threadline.web.security import BodyLimit, SecurityHeaders

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    workspace: Workspace | None = None,
) -> FastAPI:
    """Build the application over the workspace the settings name.

    Args:
        settings: where the workspace is and the policy switches.
        clock: the time source (tests pass a stepping clock).
        workspace: an already open workspace to serve (tests); otherwise one is opened here and
            closed at shutdown.
    """
    opened = workspace if workspace is not None else open_workspace(settings, clock=clock)
    # many requests at once: one DuckDB thread each answers more of them per second, and a
    # long-running server keeps each set of evidence views open instead of rebuilding them
    ws = replace(
        opened,
        evidence=replace(opened.evidence, query_threads=1, share_connections=True),
    )
    jobs = IngestJobs(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.stop_all()
        if workspace is None:
            ws.close()

    app = FastAPI(
        title="Threadline",
        version=_version(),
        summary="Intelligence and digital-investigation workbench: JSON API",
        openapi_url="/api/openapi.json",
        # the interactive API pages load scripts from a CDN: not on a closed network
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.ws = ws
    app.state.settings = settings
    app.state.jobs = jobs
    app.state.templates = make_templates()
    app.add_middleware(BodyLimit, upload_limit=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
    errors.install(app)
    static = resources.files("threadline.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (
        auth,
        cases,
        exhibits,
        evidence,
        phone,
        analyses,
        case_map,
        network,
        admin,
        api,
    ):
        app.include_router(module.router)
    app.include_router(evidence.api)
    app.include_router(phone.api)
    app.include_router(analyses.api)
    app.include_router(case_map.api)
    app.include_router(network.api)
    return app


def app_from_environment() -> FastAPI:
    """The application over the settings in the environment (``threadline serve``'s workers)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return create_app(Settings())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("threadline")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"
