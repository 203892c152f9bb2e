"""The dashboard, server-rendered (Jinja2) and kept live by htmx polling; no build step, no node.

Pages: overview (queues, throughput chart, workers), runs (filterable,
live), run detail (attempts, timeline, error, children, payload), schedules,
failures of the last 24 h. An admin also gets the actions — retry, cancel,
trigger now — each recorded in job_history with who did it. In a browser the
key comes from a cookie set by ``/login``; with no key configured the local
operator is admin. Partials (``/partials/...``) are the fragments htmx swaps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from dramaturg.web import views
from dramaturg.web.api_jobs import limits, parse_since
from dramaturg.web.auth import COOKIE, Principal, resolve
from dramaturg.web.errors import ApiError, forbidden, not_found
from dramaturg.web.state import platform, raw_connection
from scheduler.trigger import trigger_job
from shared import api_keys, heartbeats, overview, run_actions, runs

if TYPE_CHECKING:
    pass

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGE = 50
#: Processes listed on the overview: fresh ones, and those gone within this many seconds.
WORKERS_WINDOW_S = 600.0


class LoginRequired(Exception):
    """A page was asked for without a valid key while keys exist: the handler sends the browser to /login."""


def principal(request: Request) -> Principal:
    try:
        return resolve(request)
    except ApiError as exc:
        if exc.status == 401:
            raise LoginRequired() from None
        raise


def _admin(request: Request) -> Principal:
    who = principal(request)
    if not who.is_admin:
        raise forbidden("the dashboard's actions need an admin key")
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise forbidden("cross-site form posts are refused")  # the local operator has no cookie to protect it
    return who


def _fmt_dt(value: datetime | str | None, zone: tzinfo | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    value = value.astimezone(zone or UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S") + ("" if zone else " UTC")


def _fmt_ms(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value} ms" if value < 10_000 else f"{value / 1000:.1f} s"


templates.env.filters["dt"] = _fmt_dt
templates.env.filters["ms"] = _fmt_ms
templates.env.globals["api_status"] = views.api_status


def render(request: Request, name: str, who: Principal, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"who": who, **context})


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)


# --- overview --------------------------------------------------------------------------------
def _overview_data(request: Request) -> dict[str, Any]:
    rt = platform(request)
    now = rt.clock.now()
    with raw_connection(request) as raw:
        depths = overview.queue_depths(raw, now, finished_within=timedelta(hours=24))
        procs = heartbeats.recent(raw, window=WORKERS_WINDOW_S)
    fresh = heartbeats.fresh_window(rt.settings.heartbeat_seconds)
    for p in procs:
        p["fresh"] = p["age_s"] <= fresh
        p["label"] = heartbeats.process_label(p)
    return {"now": now, "queues": depths, "processes": procs, "oldest": overview.oldest_queued_age(depths, now)}


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> Response:
    who = principal(request)
    return render(request, "overview.html", who, page="overview", **_overview_data(request))


@router.get("/partials/overview", response_class=HTMLResponse)
def overview_partial(request: Request) -> Response:
    who = principal(request)
    return render(request, "_overview_live.html", who, **_overview_data(request))


@router.get("/dashboard/throughput.json")
def throughput(request: Request, span: str = "hour") -> Response:
    principal(request)
    rt = platform(request)
    window, bucket = (
        (timedelta(hours=1), timedelta(minutes=1)) if span == "hour" else (timedelta(days=1), timedelta(minutes=30))
    )
    with raw_connection(request) as raw:
        rows = overview.throughput(raw, until=rt.clock.now(), span=window, bucket=bucket)
    return JSONResponse(
        {
            "t": [int(r["t"].timestamp()) for r in rows],
            "succeeded": [r["succeeded"] for r in rows],
            "failed": [r["failed"] for r in rows],
        }
    )


# --- runs --------------------------------------------------------------------------------------
def _runs_query(
    request: Request,
    who: Principal,
    status: str | None,
    type: str | None,
    org: str | None,
    since: str | None,
    children: bool,
    cursor: str | None,
) -> dict[str, Any]:
    try:
        state = views.history_status(status) if status else None
        since_at = parse_since(since, platform(request).clock.now()) if since else None
        before = int(cursor) if cursor else None
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    org_scope = who.org_scope if who.org_scope is not None else (org or None)
    with raw_connection(request) as raw:
        rows = runs.list_runs(
            raw,
            org=org_scope,
            status=state,
            job=type or None,
            since=since_at,
            before=before,
            limit=PAGE + 1,
            top_level=not children,
        )
    filters = {"status": status or "", "type": type or "", "org": org or "", "since": since or "", "children": children}
    query = urlencode({k: ("1" if v is True else v) for k, v in filters.items() if v})
    more = len(rows) > PAGE
    return {
        "rows": rows[:PAGE],
        "filters": filters,
        "query": query,
        "cursor": cursor,
        "next_cursor": rows[PAGE - 1]["id"] if more else None,
        "statuses": list(views.API_STATUS.values()),
    }


@router.get("/runs", response_class=HTMLResponse)
def runs_page(
    request: Request,
    status: str | None = None,
    type: str | None = None,
    org: str | None = None,
    since: str | None = None,
    children: bool = False,
    cursor: str | None = None,
) -> Response:
    who = principal(request)
    data = _runs_query(request, who, status, type, org, since, children, cursor)
    return render(request, "runs.html", who, page="runs", **data)


@router.get("/partials/runs", response_class=HTMLResponse)
def runs_partial(
    request: Request,
    status: str | None = None,
    type: str | None = None,
    org: str | None = None,
    since: str | None = None,
    children: bool = False,
) -> Response:
    who = principal(request)
    data = _runs_query(request, who, status, type, org, since, children, None)
    return render(request, "_runs_rows.html", who, **data)


def _run(request: Request, who: Principal, run_id: int) -> dict[str, Any]:
    with raw_connection(request) as raw:
        run = runs.get_run(raw, run_id, org=who.org_scope)
    if run is None:
        raise not_found(f"no run {run_id}")
    detail = views.run_detail(run, platform(request).settings.secrets)
    detail["final"] = run["status"] in views.FINAL
    detail["state"] = run["status"]
    return detail


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: int) -> Response:
    who = principal(request)
    return render(request, "run.html", who, page="runs", run=_run(request, who, run_id))


@router.get("/partials/runs/{run_id}", response_class=HTMLResponse)
def run_partial(request: Request, run_id: int) -> Response:
    who = principal(request)
    return render(request, "_run_live.html", who, run=_run(request, who, run_id))


@router.post("/runs/{run_id}/retry")
def retry_action(request: Request, run_id: int) -> Response:
    who = _admin(request)
    new_id = run_actions.retry(
        platform(request), run_id, org=None, acted_by=f"dashboard:{who.label}", limits=limits(request), trigger="manual"
    )
    return RedirectResponse(f"/runs/{new_id}", status_code=303)


@router.post("/runs/{run_id}/cancel")
def cancel_action(request: Request, run_id: int) -> Response:
    who = _admin(request)
    run_actions.cancel(platform(request), run_id, org=None, acted_by=f"dashboard:{who.label}")
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


# --- schedules and failures ------------------------------------------------------------------
@router.get("/schedules", response_class=HTMLResponse)
def schedules_page(request: Request) -> Response:
    from scheduler.schedule import build_schedule

    who = principal(request)
    rt = platform(request)
    now = rt.clock.now()
    table = build_schedule(rt.settings, rt.registry.jobs)
    with raw_connection(request) as raw:
        last = overview.last_runs(raw, sorted(table))
    jobs = []
    for j in table.values():
        nxt = j.cron.next_fire(now, j.zone) if j.enabled else None
        jobs.append({"job": j, "next": nxt, "last": last.get(j.name)})
    return render(request, "schedules.html", who, page="schedules", jobs=jobs, now=now)


@router.post("/schedules/{name}/trigger")
def trigger_action(request: Request, name: str) -> Response:
    who = _admin(request)
    run_id = trigger_job(
        platform(request), platform(request).registry.job(name).name, acted_by=f"dashboard:{who.label}"
    )
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/failures", response_class=HTMLResponse)
def failures_page(request: Request) -> Response:
    who = principal(request)
    since = platform(request).clock.now() - timedelta(hours=24)
    with raw_connection(request) as raw:
        rows = overview.failures(raw, since=since, org=who.org_scope)
        counts = overview.failure_counts(raw, since=since, org=who.org_scope)
    return render(request, "failures.html", who, page="failures", rows=rows, counts=counts, since=since)


# --- login -------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", error: str | None = None) -> Response:
    return templates.TemplateResponse(request, "login.html", {"who": None, "next": _safe_next(next), "error": error})


@router.post("/login")
async def login(request: Request) -> Response:
    # A urlencoded form of two fields: parsed here rather than adding a multipart parser dependency.
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key, next = (form.get("key") or [""])[0].strip(), (form.get("next") or ["/"])[0]

    def find() -> api_keys.ApiKey | None:
        with raw_connection(request) as raw:
            return api_keys.lookup(raw, key)

    found = await run_in_threadpool(find) if key else None
    if found is None:
        return RedirectResponse("/login?" + urlencode({"next": next, "error": "unknown or revoked key"}), 303)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, key, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.get("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _safe_next(path: str) -> str:
    """Only a local path: never redirect to another site after login."""
    return path if path.startswith("/") and not path.startswith("//") else "/"
