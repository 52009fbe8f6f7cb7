"""The composition root of the web face: settings + engine in, a FastAPI app out."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from gutwise import __version__
from gutwise.accounts import views as accounts_views
from gutwise.core.db import make_engine
from gutwise.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gutwise.core.settings import Settings
from gutwise.core.templating import templates
from gutwise.diary import views as diary_views
from gutwise.interop import views as interop_views
from gutwise.labs import views as labs_views
from gutwise.microbiome import views as microbiome_views
from gutwise.outcomes import views as outcomes_views
from gutwise.protocol import views as protocol_views
from gutwise.reports import views as reports_views
from gutwise.screening import views as screening_views
from gutwise.web.deps import CsrfFailed, LoginRequired

STATIC = Path(__file__).with_name("static")
API_PREFIX = "/api/v1"

# Every router the app serves, with its prefix: the one list that ``create_app`` mounts and tests walk.
ROUTERS: list[tuple[str, APIRouter]] = [
    ("", accounts_views.pages),
    ("", diary_views.pages),
    ("", screening_views.pages),
    ("", labs_views.pages),
    ("", microbiome_views.pages),
    ("", protocol_views.pages),
    ("", outcomes_views.pages),
    ("", reports_views.pages),
    ("", interop_views.pages),
    (API_PREFIX, accounts_views.api),
    (API_PREFIX, diary_views.api),
    (API_PREFIX, screening_views.api),
    (API_PREFIX, labs_views.api),
    (API_PREFIX, microbiome_views.api),
    (API_PREFIX, protocol_views.api),
    (API_PREFIX, outcomes_views.api),
    (API_PREFIX, reports_views.api),
    (API_PREFIX, interop_views.api),
]


def route_table() -> list[tuple[str, str]]:
    """(method, full path) of every page and API route, e.g. ``("GET", "/api/v1/patients/{patient_id}")``."""
    out = []
    for prefix, router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                out.extend((method, prefix + route.path) for method in sorted(route.methods))
    return out

# Pages carry health data: no caching, no framing, only our own scripts.
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return templates.TemplateResponse(request, "error.html", {"title": title, "message": message,
                                                              "session": None}, status_code=status)


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        title="gutwise API",
        version=__version__,
        description=(
            "Personal API of gutwise. Authenticate with a personal API token: "
            "`Authorization: Bearer gw_…` (make one on the Account page or with `gutwise users token`). "
            "Every answer is limited to the records your account may see; others answer 404."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.resolved_database_url())

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for prefix, router in ROUTERS:
        app.include_router(router, prefix=prefix)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The OpenAPI document: JSON for programs (``Accept: application/json``), Swagger UI for people."""
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(app.openapi())
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/api/openapi.json",
            title="gutwise API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path != "/api/docs" and not request.url.path.startswith("/static/"):
            response.headers.setdefault("Content-Security-Policy", _CSP)
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "not signed in"}, status_code=401)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return _error_page(request, 403, "Please try again",
                           "This form had expired or did not come from gutwise. Reload the page and try again.")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error_page(request, 404, "Not found", "There is nothing here, or nothing you can see.")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, "Not allowed", str(exc) or "You may not do this.")

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        return _error_page(request, 409, "Already there", str(exc))

    @app.exception_handler(InvalidInput)
    async def invalid(request: Request, exc: InvalidInput) -> Response:
        detail = [{"loc": ["body", *e.field.split(".")], "msg": e.reason, "type": "value_error"}
                  for e in exc.errors]
        if _is_api(request):
            return JSONResponse({"detail": detail}, status_code=422)
        return _error_page(request, 422, "Please check", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or exc.status_code not in (404, 405):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return _error_page(request, exc.status_code, "Not found", "There is nothing here.")

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    return app
