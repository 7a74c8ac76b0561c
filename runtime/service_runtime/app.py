"""The app factory every service's HTTP API is built with.

It gives each service the same edges: problem+json errors, request and correlation
ids, JSON logs, ``/healthz``, ``/readyz``, Prometheus ``/metrics`` and an OpenAPI
document from the marshmallow schemas (flask-smorest).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from service_runtime import context, tracing
from service_runtime.bounds import install_converters
from service_runtime.config import HttpSettings, KafkaSettings, database_url
from service_runtime.errors import (
    Problem,
    field_errors,
    from_problem,
    http_slug,
    problem_response,
)
from service_runtime.logs import configure_logging
from service_runtime.metrics import (
    HTTP_LATENCY,
    HTTP_REQUESTS,
    record_build_info,
    render,
    watch_pool,
)
from service_runtime.readiness import (
    ReadinessCheck,
    broker_check,
    database_check,
    readiness,
    schema_check,
)
from service_runtime.safe_json import SafeJSONProvider
from service_runtime.settings import Environment, NoSettings, Settings

# Each process imports only what it uses: the OpenAPI machinery (flask-smorest, apispec,
# token verification) only when routes are documented, SQLAlchemy only with a database,
# kafka-python and alembic only when /readyz first checks the broker or the schema: the
# gateway stays that much smaller. A worker's ops endpoints use no Flask at all
# (service_runtime.ops).
if TYPE_CHECKING:
    from service_runtime.auth import AuthSettings
    from service_runtime.db import Database
    from service_runtime.service import ServiceDefinition

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
CORRELATION_ID_HEADER = "X-Correlation-ID"
MAX_ID_LENGTH = 128


class FieldErrorSchema(Schema):
    location = fields.String(metadata={"example": "json"})
    field = fields.String(metadata={"example": "lines.0.quantity"})
    messages = fields.List(fields.String())


class ProblemSchema(Schema):
    """An RFC 9457 problem document, as every error is answered.

    A problem may carry more members than these (``service``, ``retry_after_s``, ...).
    """

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: true

    type = fields.String(metadata={"example": "urn:shop:problem:validation-error"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))


def http_problem(error: HTTPException) -> Response:
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    extra = {}
    if "messages" in data:
        extra["errors"] = field_errors(data["messages"])
    elif data.get("errors"):
        extra["errors"] = field_errors(data["errors"])
    detail = data.get("message") or error.description
    slug = "validation-error" if code == 422 else http_slug(code)
    if code == 400 and "messages" in data:
        slug = "malformed-request"
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem_response(code, slug, error.name, detail, headers=headers, **extra)


def create_app(
    service: str,
    *,
    blueprints: Iterable[Blueprint] = (),
    readiness: Iterable[ReadinessCheck] = (),
    db: Database | None = None,
    config: dict | None = None,
    title: str | None = None,
    openapi: bool | None = None,
    settings: Settings | None = None,
    runtime: tuple[HttpSettings, AuthSettings | None] | None = None,
) -> Flask:
    """Build a service's Flask app. Nothing connects at build time.

    With ``db``, routes reach the service's database through :func:`current_db` and
    ``/readyz`` checks it. ``openapi`` (by default: when there are blueprints) serves
    ``/openapi.json`` documenting the blueprints' routes. ``settings`` are the service's
    own (:func:`current_settings`); the runtime's HTTP and token settings are read here,
    once, unless given in ``runtime`` (no token settings: an app that checks no tokens,
    such as a worker's ops endpoints).
    """
    configure_logging(service)
    record_build_info(service)
    tracing.configure_tracing(service)
    http, auth = runtime or _runtime_settings()
    app = Flask(__name__, static_folder=None)
    app.json = SafeJSONProvider(app)  # request.get_json() reads with the guarded loader
    install_converters(app)  # <int:...> only matches ids a database column can hold
    app.config.update(
        API_TITLE=title or f"{service} service",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=http.max_body_bytes,
    )
    app.config.update(config or {})
    app.json.sort_keys = False  # fields in the order the schemas declare them
    app.json.ensure_ascii = False  # 电热水壶, not \u7535\u70ed\u6c34\u58f6
    app.extensions["service_name"] = service
    app.extensions["auth_settings"] = auth
    app.extensions["settings"] = settings if settings is not None else NoSettings()
    checks = list(readiness)
    if db is not None:
        app.extensions["db"] = db
        checks.insert(0, database_check(db))

    blueprints = list(blueprints)
    if openapi is None:
        openapi = bool(blueprints)
    if openapi:
        from service_runtime.api_document import ProblemApi
        from service_runtime.blueprint import uses_safe_parser

        api = ProblemApi(app)
        for blueprint in blueprints:
            if not uses_safe_parser(blueprint):
                raise TypeError(f"blueprint {blueprint.name!r}: declare routes on "
                                "service_runtime.blueprint.Blueprint (guarded JSON bodies)")
            api.register_blueprint(blueprint)

    app.register_error_handler(Problem, from_problem)
    app.register_error_handler(HTTPException, http_problem)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(500, "internal-error", "Internal server error")

    @app.before_request
    def continue_trace() -> None:
        # First, so every request is in its trace (a refused one too). Named by the
        # route template, as the metrics are: /api/v1/orders/<order_id>, not one per id.
        route = request.url_rule.rule if request.url_rule else "unmatched"
        g.trace = tracing.start_server_span(
            request.headers, f"{request.method} {route}",
            {"http.request.method": request.method, "http.route": route})

    @app.before_request
    def refuse_nul_characters() -> Response | None:
        """No text a service stores may hold a NUL character (PostgreSQL refuses it with an
        error that would otherwise surface as a 500): refuse it at the door, everywhere."""
        if "\x00" in request.path or b"%00" in request.query_string \
                or (request.is_json and b"\\u0000" in request.get_data(cache=True)):
            return problem_response(400, "nul-character",
                                    "The request holds a NUL character",
                                    "ids, queries and text may not contain U+0000")
        return None

    @app.before_request
    def bind_ids() -> None:
        g.started = time.perf_counter()
        rid = _clean_id(request.headers.get(REQUEST_ID_HEADER)) or context.new_id()
        cid = _clean_id(request.headers.get(CORRELATION_ID_HEADER)) or rid
        g.ids = context.bound(request_id=rid, correlation_id=cid)
        g.ids.__enter__()

    @app.after_request
    def record(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
        if "started" in g:
            HTTP_LATENCY.labels(service, request.method, route).observe(
                time.perf_counter() - g.started
            )
        response.headers[REQUEST_ID_HEADER] = context.request_id.get() or ""
        response.headers[CORRELATION_ID_HEADER] = context.correlation_id.get() or ""
        tracing.record_status(g.get("trace"), response.status_code)
        return response

    @app.teardown_request
    def unbind_ids(_exc: BaseException | None) -> None:
        ids = g.pop("ids", None)
        if ids is not None:
            ids.__exit__(None, None, None)
        tracing.finish(g.pop("trace", None))

    app.register_blueprint(ops_blueprint(checks))
    return app


def _runtime_settings() -> tuple[HttpSettings, AuthSettings]:
    from service_runtime.auth import AuthSettings

    environment = Environment()
    settings = HttpSettings.read(environment), AuthSettings.read(environment)
    environment.check()
    return settings


def create_service_api(
    definition: ServiceDefinition,
    *,
    blueprints: Iterable[Blueprint] = (),
    database: str | None = None,
    config: dict | None = None,
    title: str | None = None,
    settings: Settings | None = None,
) -> Flask:
    """The HTTP API of a service that owns a database (``DATABASE_URL`` unless given),
    with the service's settings (read from the environment unless given).

    ``/readyz`` requires a schema this code can run on (at its migration heads, or later
    and compatible: ``service_runtime.compatibility``). The broker is reported but not
    required: an API writes events to its outbox, so it keeps working while the broker
    is away.
    """
    from service_runtime.db import Database

    service = definition.name
    environment = Environment()
    kafka = KafkaSettings.read(environment)
    own = settings if settings is not None else definition.settings.read(environment)
    environment.check()
    db = Database(database or database_url(service))
    watch_pool(service, db.engine)
    return create_app(
        service,
        blueprints=blueprints,
        db=db,
        readiness=[schema_check(definition, db), broker_check(kafka, required=False)],
        config=config,
        title=title or f"{service.capitalize()} service",
        settings=own,
    )


def current_settings() -> Any:
    """The settings of the service handling this request, as its app was built with."""
    return current_app.extensions["settings"]


def current_db() -> Database:
    """The database of the service handling this request."""
    return current_app.extensions["db"]


def ops_blueprint(checks: list[ReadinessCheck]) -> Blueprint:
    ops = Blueprint("ops", __name__)

    @ops.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @ops.get("/readyz")
    def readyz() -> tuple[Response, int]:
        document, status = readiness(checks)
        return jsonify(document), status

    @ops.get("/metrics")
    def metrics() -> Response:
        body, content_type = render()
        return Response(body, content_type=content_type)

    return ops


def _clean_id(value: str | None) -> str | None:
    """Accept a caller's id only if it is short and printable (ids end up in logs)."""
    if not value or len(value) > MAX_ID_LENGTH or not value.isprintable():
        return None
    return value
