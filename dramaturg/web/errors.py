"""HTTP errors of the web dyno: one JSON shape, ``{"error": code, "detail": text}``, and the handlers
that map the platform's error tree onto status codes."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from shared.db import outage_errors
from shared.errors import PayloadRejected, RunConflict, RunNotFound, TooManyJobs, UnknownJob


class ApiError(Exception):
    """An HTTP error with a machine-readable code."""

    def __init__(
        self, status: int, code: str, detail: str, *, headers: dict[str, Any] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers, self.extra = status, code, detail, headers or {}, extra


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str) -> ApiError:
    return ApiError(403, "forbidden", detail)


def not_found(detail: str = "not found") -> ApiError:
    return ApiError(404, "not_found", detail)


#: Paths that always answer JSON; everything else is a dashboard page, and a browser gets a page.
JSON_PATHS = ("/api/", "/health", "/metrics", "/dashboard/", "/openapi.json")


def _json(status: int, code: str, detail: str, headers: dict[str, Any] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail, **extra}, status_code=status, headers=headers)


def _respond(
    request: Request, status: int, code: str, detail: str, headers: dict[str, Any] | None = None, **extra: Any
) -> Response:
    if request.url.path.startswith(JSON_PATHS) or "text/html" not in request.headers.get("accept", ""):
        return _json(status, code, detail, headers, **extra)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f'<title>{status} · dramaturg</title><link rel="stylesheet" href="/static/dashboard.css"></head>'
        f'<body><main><h1>{status} {escape(code.replace("_", " "))}</h1><p class="error">{escape(detail)}</p>'
        '<p><a href="javascript:history.back()">back</a> · <a href="/">overview</a></p></main></body></html>'
    )
    return HTMLResponse(page, status_code=status, headers=headers)


def _field_error(error: Any) -> dict[str, str]:
    """One of FastAPI's validation errors as ``{field, message}``. A body that is not JSON names the
    body and says what the parser found where (FastAPI's own loc is the offset and its message only
    "JSON decode error")."""
    if error.get("type") == "json_invalid":
        offset = next((p for p in error["loc"] if isinstance(p, int)), None)
        found = (error.get("ctx") or {}).get("error")
        where = f" at character {offset}" if offset is not None else ""
        return {"field": "body", "message": f"not valid JSON{where}" + (f": {found}" if found else "")}
    return {"field": ".".join(str(p) for p in error["loc"] if p != "body") or "body", "message": error["msg"]}


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        return _respond(request, exc.status, exc.code, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = [_field_error(e) for e in exc.errors()]
        text = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return _json(422, "invalid_request", text, fields=fields)

    @app.exception_handler(UnknownJob)
    async def _unknown(request: Request, exc: UnknownJob) -> Response:
        return _respond(request, 400, "unknown_type", str(exc))

    @app.exception_handler(PayloadRejected)
    async def _payload(request: Request, exc: PayloadRejected) -> Response:
        return _respond(request, 422, "invalid_payload", str(exc), fields=exc.errors)

    @app.exception_handler(RunNotFound)
    async def _missing(request: Request, exc: RunNotFound) -> Response:
        return _respond(request, 404, "not_found", str(exc))

    @app.exception_handler(RunConflict)
    async def _conflict(request: Request, exc: RunConflict) -> Response:
        return _respond(request, 409, "conflict", str(exc))

    @app.exception_handler(TooManyJobs)
    async def _limit(request: Request, exc: TooManyJobs) -> Response:
        return _respond(request, 429, "too_many_jobs", str(exc), {"Retry-After": str(max(1, round(exc.retry_after)))})

    for error in outage_errors():

        @app.exception_handler(error)
        async def _outage(request: Request, exc: Exception) -> Response:
            return _respond(request, 503, "database_unavailable", "the database cannot be reached; try again shortly")
