"""The two apps the HTTP benchmark serves with gunicorn (``PYTHONPATH=bench``).

Both answer ``GET /api/v1/ping`` with the same JSON document:

* ``bare_app()``: a plain Flask app and a plain Flask route returning ``jsonify``.
* ``factory_app()``: ``service_runtime.app.create_app`` with the route in a
  runtime (flask-smorest) Blueprint and a marshmallow response schema, the way every service
  writes its routes; so it carries the runtime's request/correlation ids, Prometheus
  metrics, problem+json error handlers and the OpenAPI machinery.

    gunicorn -c python:service_runtime.gunicorn_conf 'apps:bare_app()'
    gunicorn -c python:service_runtime.gunicorn_conf 'apps:factory_app()'
"""

from __future__ import annotations

from flask import Flask, Response, jsonify
from marshmallow import Schema, fields

from service_runtime.blueprint import Blueprint

PATH = "/api/v1/ping"
PAYLOAD = {"status": "ok", "service": "bench", "version": 1, "items": [1, 2, 3]}


class PingSchema(Schema):
    status = fields.String(required=True)
    service = fields.String(required=True)
    version = fields.Integer(required=True)
    items = fields.List(fields.Integer(), required=True)


def bare_app() -> Flask:
    """A bare Flask app with the benchmark route and nothing else."""
    app = Flask("bench-bare")

    @app.get(PATH)
    def ping() -> Response:
        return jsonify(PAYLOAD)

    return app


def factory_app() -> Flask:
    """The shared app factory with the benchmark route in a flask-smorest Blueprint."""
    from service_runtime.app import create_app

    blp = Blueprint("ping", __name__, url_prefix="/api/v1", description="Benchmark")

    @blp.route("/ping", methods=["GET"])
    @blp.response(200, PingSchema)
    def ping() -> dict:
        return PAYLOAD

    return create_app("bench", blueprints=[blp])
