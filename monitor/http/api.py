"""The daemon's one HTTP listener: /metrics, /healthz, /readyz and the read-only JSON API (/api/v1/...).

Every handler reads in-memory state (the latest TickResult, the exporter's bytes, the store's job history through an
injected callable); none calls the Kubernetes or cloud APIs.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from monitor.core.domain.report import GroupBy, spend_between
from monitor.core.domain.result import BudgetStatus, ProjectionPoint, WorkloadStatus
from monitor.core.errors import ConfigError
from monitor.core.report_format import Format, render
from monitor.core.state import LatestResult
from monitor.http.auth import CHALLENGE, authorized
from monitor.http.display_currency import DisplayCurrency, budget_display, job_display, usd_display
from monitor.http.exposition import CONTENT_TYPE as PROMETHEUS_CONTENT_TYPE
from monitor.http.server import PooledHTTPServer, accepts_gzip, maybe_gzip
from monitor.http.web import asset

log = logging.getLogger(__name__)


def job_to_json(job: WorkloadStatus, display: DisplayCurrency | None = None) -> dict[str, Any]:
    """The `/api/v1/jobs` item: a stable shape for scripts and dashboards (USD fields, then `display_currency`)."""
    return {
        "namespace": job.ref.namespace,
        "name": job.ref.name,
        "kind": job.ref.kind,
        "uid": job.ref.uid,
        "team": job.team,
        "queue": job.queue or None,  # Kueue LocalQueue; null when not queued by Kueue
        "cluster_queue": job.cluster_queue or None,  # the LocalQueue's ClusterQueue; null when unknown
        "cohort": job.cohort or None,  # that ClusterQueue's cohort; null when none or unknown
        # created suspended → first admitted; null if it never waited (a later suspend/resume does not change it)
        "admission_wait_seconds": job.admission_wait_seconds,
        "state": job.state,
        "cost_usd": round(job.cost_usd, 6),
        "hourly_cost_usd": round(job.hourly_cost_usd, 6),
        "projected_cost_usd": job.projected_cost_usd.model_dump() if job.projected_cost_usd else None,
        "remaining_cost_usd": job.remaining_cost_usd.model_dump() if job.remaining_cost_usd else None,
        "expected_completion": job.expected_completion.isoformat() if job.expected_completion else None,
        "progress": job.progress,
        "progress_source": job.progress_source or None,
        # TrainJob status.trainerStatus older than trainer_status_stale_seconds: ignored, other sources used
        "progress_stale": job.progress_stale,
        "projection_basis": job.projection_basis or None,  # throughput | estimator | blend | final; null: none
        "gpus": job.gpus,
        # dcgm-exporter (settings `dcgm`): utilization of the held GPUs now (null: not measured) and the cost of GPU
        # time held unused since measuring began (null: never measured)
        "gpu_utilization": job.gpu_utilization,
        "unused_gpu_cost_usd": round(job.unused_gpu_cost_usd, 6) if job.unused_gpu_cost_basis_usd is not None else None,
        "budget_usd": job.budget_usd,
        "budget_state": job.budget_state or None,  # ok | warning | breach against budget-usd; null without one
        "started": job.started.isoformat() if job.started else None,
        "finished": job.finished.isoformat() if job.finished else None,
        "model": job.model or None,
        "method": job.method or None,
        "gpu_model": job.gpu_model or None,
        "instance_type": job.instance_type or None,
        "capacity_type": job.capacity_type or None,
        "estimate": job.estimate,
        # estimated/stale: of the held node's price (null when the Job holds nothing and never did)
        "price": {
            "source": job.price_source or None,
            "as_of": job.price_as_of or None,
            "estimated": job.price_estimated,
            "stale": job.price_stale,
        },
        "problems": [p.model_dump() for p in job.problems],
        "display_currency": job_display(job, display or usd_display()),
    }


def history_to_json(
    job: WorkloadStatus, hours: list[tuple[datetime, float]], projections: list[ProjectionPoint] | None = None
) -> dict[str, Any]:
    """The `/api/v1/jobs/{ns}/{name}/history` body: spend per UTC hour with its running total (cumulative_usd =
    Σ usd of this hour and every earlier one kept), beside the job's cost and projection now, and the projection at
    each point of its history (`projections`, oldest first: how the projected total and ETA moved). Hours pruned from
    the rollup are not listed, so the last cumulative_usd can be below cost_usd."""
    running = 0.0
    items = []
    for hour, usd in hours:
        running += usd
        items.append({"hour": hour.isoformat(), "usd": round(usd, 6), "cumulative_usd": round(running, 6)})
    return {
        "namespace": job.ref.namespace,
        "name": job.ref.name,
        "uid": job.ref.uid,
        "cost_usd": round(job.cost_usd, 6),
        "projected_cost_usd": job.projected_cost_usd.model_dump() if job.projected_cost_usd else None,
        "expected_completion": job.expected_completion.isoformat() if job.expected_completion else None,
        "hours": items,
        "projections": [
            {
                "at": point.at.isoformat(),
                "cost_usd": round(point.cost_usd, 6),
                "projected_cost_usd": point.projected_cost_usd.model_dump(),
                "expected_completion": point.expected_completion.isoformat() if point.expected_completion else None,
                "progress": point.progress,
            }
            for point in projections or []
        ],
    }


def budget_to_json(budget: BudgetStatus, display: DisplayCurrency | None = None) -> dict[str, Any]:
    return {
        "name": budget.name,
        "period": budget.period,
        "period_start": budget.period_start.isoformat(),
        "period_end": budget.period_end.isoformat() if budget.period_end else None,
        "limit_usd": budget.limit_usd,
        "spend_usd": round(budget.spend_usd, 6),
        "projected_spend_usd": round(budget.projected_spend_usd, 6),
        "thresholds": list(budget.thresholds),
        "state": budget.state,
        "selector": budget.selector,
        "display_currency": budget_display(budget, display or usd_display()),
    }


class ResponseCache:
    """The bodies of the list endpoints for the latest tick. They change only when a tick publishes (the tick writes
    the store's job snapshots before it publishes), so clients asking at once share one rendering instead of each
    reading the store and serialising ~2 MB. On a follower replica the leader's writes show at its next tick."""

    _MAX_BODIES = 64  # distinct queries kept per tick (namespace filters)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tick: object = None
        self._bodies: dict[str, bytes] = {}

    def get(self, tick: object, key: str, render: Callable[[], bytes]) -> bytes:
        with self._lock:
            if tick is not self._tick:
                self._tick, self._bodies = tick, {}
            body = self._bodies.get(key)
        if body is None:
            body = render()
            with self._lock:
                if tick is self._tick and len(self._bodies) < self._MAX_BODIES:
                    self._bodies[key] = body
        return body


@dataclass(frozen=True)
class ApiDeps:
    """What the HTTP layer reads. Each callable is cheap and never touches a remote API."""

    latest: LatestResult
    metrics: Callable[[], bytes]
    readiness: Callable[[], tuple[bool, dict[str, str]]]
    history: Callable[[], list[WorkloadStatus]]  # finished and live jobs from the store
    estimate: Callable[[Mapping[str, str]], dict[str, Any]] | None = None
    # workload uid → its spend per UTC hour, oldest first (SqlStore.workload_hourly_usd); None: no history route
    hourly_spend: Callable[[str], list[tuple[datetime, float]]] | None = None
    # workload uid → its projection at each stored snapshot, oldest first (SqlStore.projection_history)
    projection_history: Callable[[str], list[ProjectionPoint]] | None = None
    # USD per workload accrued at or after a time (SqlStore.workload_spend_since); None: no /api/v1/report
    spend_since: Callable[[datetime], dict[str, float]] | None = None
    # Settings.currency and its rate, for the `display_currency` blocks (monitor.http.display_currency.display_currency)
    display: DisplayCurrency = field(default_factory=usd_display)
    # Settings.api_token: the bearer token /metrics and /api/v1 require (monitor.http.auth); None: open
    token: bytes | None = None
    # `metrics` gzipped (Exporter.exposition_gzip: the tick's part compressed once per tick); None: per request
    metrics_gzip: Callable[[], bytes] | None = None
    cache: ResponseCache = field(default_factory=ResponseCache)


class RouteError(Exception):
    """A request the routes answer with an error status and a JSON `{"error": message}` body."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _jobs(deps: ApiDeps) -> list[WorkloadStatus]:
    """Live jobs from the latest tick, plus jobs the store remembers that are no longer live."""
    latest = deps.latest.get()
    live = {job.ref.uid: job for job in latest.jobs} if latest else {}
    merged = dict(live)
    for job in deps.history():
        merged.setdefault(job.ref.uid, job)
    return sorted(merged.values(), key=lambda j: (j.ref.namespace, j.ref.name, j.ref.kind))


def route(deps: ApiDeps, path: str, query: Mapping[str, str]) -> tuple[HTTPStatus, str, bytes]:
    """Pure routing: (status, content type, body) for a GET of `path`."""
    if path == "/" or path.startswith("/ui/"):
        found = asset("index.html" if path == "/" else path.removeprefix("/ui/"))
        if found is None:
            raise RouteError(HTTPStatus.NOT_FOUND, f"no page asset {path}")
        return HTTPStatus.OK, found[0], found[1]
    if path == "/metrics":
        return HTTPStatus.OK, PROMETHEUS_CONTENT_TYPE, deps.metrics()
    if path == "/healthz":
        return HTTPStatus.OK, "text/plain", b"ok\n"
    if path == "/readyz":
        ready, checks = deps.readiness()
        status = HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE
        return status, "application/json", _dump({"ready": ready, "checks": checks})
    if path == "/api/v1/jobs":
        _known_parameters(query, ("namespace",))

        def jobs() -> bytes:
            items = [job_to_json(j, deps.display) for j in _jobs(deps)]
            if "namespace" in query:
                items = [i for i in items if i["namespace"] == query["namespace"]]
            return _dump({**_list_header(deps), "items": items})

        key = "jobs?" + query.get("namespace", "\0")
        return HTTPStatus.OK, "application/json", deps.cache.get(deps.latest.get(), key, jobs)
    if path.startswith("/api/v1/jobs/"):
        parts = [unquote(p) for p in path.removeprefix("/api/v1/jobs/").split("/") if p]
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "history"):
            raise RouteError(HTTPStatus.NOT_FOUND, "use /api/v1/jobs/{namespace}/{name}[/history]")
        matches = [j for j in _jobs(deps) if j.ref.namespace == parts[0] and j.ref.name == parts[1]]
        if not matches:
            raise RouteError(HTTPStatus.NOT_FOUND, f"no job {parts[0]}/{parts[1]}")
        if len(parts) == 3:
            if deps.hourly_spend is None:
                raise RouteError(HTTPStatus.NOT_FOUND, "job history needs the store; it is not enabled")
            uid = matches[0].ref.uid
            projections = deps.projection_history(uid) if deps.projection_history else []
            body = history_to_json(matches[0], deps.hourly_spend(uid), projections)
            return HTTPStatus.OK, "application/json", _dump(body)
        return HTTPStatus.OK, "application/json", _dump(job_to_json(matches[0], deps.display))
    if path == "/api/v1/budgets":
        _known_parameters(query, ())
        latest = deps.latest.get()
        budgets = [budget_to_json(b, deps.display) for b in latest.budgets] if latest else []
        return HTTPStatus.OK, "application/json", _dump({**_list_header(deps), "items": budgets})
    if path == "/api/v1/report":
        return _report(deps, query)
    if path == "/api/v1/estimate":
        if deps.estimate is None:
            raise RouteError(HTTPStatus.NOT_FOUND, "the estimate endpoint is not enabled")
        try:
            return HTTPStatus.OK, "application/json", _dump(deps.estimate(query))
        except ValueError as exc:
            raise RouteError(HTTPStatus.BAD_REQUEST, str(exc)) from exc
    raise RouteError(HTTPStatus.NOT_FOUND, f"no route {path}")


def _report_time(query: Mapping[str, str], name: str) -> datetime:
    raw = query.get(name)
    try:
        moment = datetime.fromisoformat((raw or "").replace("Z", "+00:00"))
    except ValueError:
        fix = "give an ISO 8601 time such as 2026-11-01 or 2026-11-01T00:00:00Z"
        raise RouteError(HTTPStatus.BAD_REQUEST, f"{name}={raw!r}: {fix}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _report(deps: ApiDeps, query: Mapping[str, str]) -> tuple[HTTPStatus, str, bytes]:
    """`/api/v1/report?since=…&until=…&group_by=namespace|team|queue|job&format=json|csv|focus`: as `trainspend
    report`; until defaults to the last tick's time."""
    _known_parameters(query, ("since", "until", "group_by", "format"))
    if deps.spend_since is None:
        raise RouteError(HTTPStatus.NOT_FOUND, "the report needs the store; it is not enabled")
    latest = deps.latest.get()
    since = _report_time(query, "since")
    until = _report_time(query, "until") if "until" in query else (latest.at if latest else since)
    if until <= since:
        raise RouteError(HTTPStatus.BAD_REQUEST, f"until={until.isoformat()} is not after since={since.isoformat()}")
    try:
        group_by = GroupBy(query.get("group_by", "namespace"))
        fmt = Format(query.get("format", "json"))
    except ValueError as exc:
        choices = "group_by: namespace, team, queue, job; format: json, csv, focus"
        raise RouteError(HTTPStatus.BAD_REQUEST, f"{exc}; accepted: {choices}") from None
    spend = spend_between(deps.spend_since(since), deps.spend_since(until))
    body = render(spend, deps.history(), group_by, fmt, since, until).encode()
    return HTTPStatus.OK, "application/json" if fmt is Format.JSON else "text/csv; charset=utf-8", body


def _known_parameters(query: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    """A misspelt filter (?namepsace=) must not silently return everything."""
    unknown = sorted(set(query) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) if allowed else "none"
        raise RouteError(
            HTTPStatus.BAD_REQUEST, f"unknown query parameter(s) {', '.join(unknown)}: accepted: {accepted}"
        )


def _list_header(deps: ApiDeps) -> dict[str, str | None]:
    """`cluster` and `as_of` (the time of the tick the list reflects; null before the first tick)."""
    latest = deps.latest.get()
    return {"cluster": latest.cluster if latest else None, "as_of": latest.at.isoformat() if latest else None}


def _dump(obj: object) -> bytes:
    return (json.dumps(obj, indent=None, separators=(",", ":"), default=str) + "\n").encode()


class HttpApi:
    """Serves `route` on a `PooledHTTPServer` (backlog, socket timeout, bounded workers) in a daemon thread."""

    def __init__(self, deps: ApiDeps, host: str, port: int) -> None:
        handler = _handler_class(deps)
        self._server = PooledHTTPServer((host, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="trainspend-http", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever and would block if it never started
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


def _handler_class(deps: ApiDeps) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "trainspend"

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(split.query).items()}
            compressed = False
            try:
                if not authorized(deps.token, split.path, self.headers.get("Authorization")):
                    raise RouteError(HTTPStatus.UNAUTHORIZED, "this endpoint needs 'Authorization: Bearer <api_token>'")
                gzip_metrics = deps.metrics_gzip is not None and accepts_gzip(self.headers.get("Accept-Encoding"))
                if split.path == "/metrics" and gzip_metrics and deps.metrics_gzip is not None:
                    status, ctype, body = HTTPStatus.OK, PROMETHEUS_CONTENT_TYPE, deps.metrics_gzip()
                    compressed = True
                else:
                    status, ctype, body = route(deps, split.path, query)
            except RouteError as exc:
                status, ctype, body = exc.status, "application/json", _dump({"error": exc.message})
            except Exception:
                log.exception("HTTP handler failed for %s", split.path)
                status, ctype, body = HTTPStatus.INTERNAL_SERVER_ERROR, "application/json", _dump({"error": "internal"})
            if not compressed:
                body, compressed = maybe_gzip(body, self.headers.get("Accept-Encoding"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if compressed:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
            if status == HTTPStatus.UNAUTHORIZED:
                self.send_header("WWW-Authenticate", CHALLENGE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _method_not_allowed(self) -> None:
            body = _dump({"error": f"method {self.command} not allowed: this API is read-only, use GET"})
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", "GET")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":  # a HEAD response carries headers only
                self.wfile.write(body)

        # http.server dispatches on these names (do_<METHOD>)
        do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _method_not_allowed  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http: " + format, *args)

    return Handler


def parse_listen(listen: str) -> tuple[str, int]:
    """'HOST:PORT' → (host, port), with a message naming the setting on error."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"listen={listen!r}: expected HOST:PORT, e.g. 0.0.0.0:8080")
    return host.strip("[]") or "0.0.0.0", int(port)
