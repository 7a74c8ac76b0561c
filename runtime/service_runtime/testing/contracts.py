"""HTTP contracts between services, as example answers both sides test against.

A service that reads another over HTTP tests against a stub at the HTTP boundary, not
against the other service's package or tables. The stub answers what
``event_contracts/http_examples/<service>.json`` says; the providing service's own tests
check that it really answers so (:func:`assert_answers_as_documented`), so the stub
cannot drift from the real service unnoticed.

An example file: ``{"operation": "GET /path/{param}", "answers": {name: {"status": int,
"body": ...}}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from service_runtime.auth import AuthSettings, SigningKey, TokenVerifier, jwks
from service_runtime.errors import Problem
from service_runtime.testing.processes import served

EXAMPLES_PACKAGE = "event_contracts"
EXAMPLES_FOLDER = "http_examples"


def http_examples(service: str) -> dict[str, Any]:
    """The example answers of ``service``'s HTTP contract (see the module docstring)."""
    text = (resources.files(EXAMPLES_PACKAGE) / EXAMPLES_FOLDER / f"{service}.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def http_answer(service: str, name: str) -> tuple[int, Any]:
    """One example answer: its status and (a fresh copy of) its body."""
    answer = http_examples(service)["answers"][name]
    return answer["status"], json.loads(json.dumps(answer["body"]))


def _json_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable`` becomes a ``null`` type."""
    if isinstance(schema, list):
        return [_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _json_schema(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") and "type" in converted:
        converted["type"] = [converted["type"], "null"]
    return converted


def response_schema(document: dict, method: str, path: str, status: int) -> dict:
    """The JSON Schema an OpenAPI ``document`` gives the answer ``status`` of an operation
    (``path`` as the document writes it, e.g. ``/api/v1/things/{thing_id}``)."""
    responses = document["paths"][path][method.lower()]["responses"]
    # An answer the operation does not list is one of its ``default`` (problem) answers.
    response = responses.get(str(status), responses.get("default"))
    if "$ref" in response:  # a shared response, e.g. the problem answers
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    [content] = response["content"].values()
    return _json_schema({**content["schema"], "components": document["components"]})


def assert_answers_as_documented(document: dict, service: str, name: str,
                                 status: int, body: Any) -> None:
    """The real service answered ``status`` and ``body`` exactly as example ``name`` of its
    contract says, and the example is what its OpenAPI ``document`` describes."""
    import jsonschema_rs

    examples = http_examples(service)
    method, path = examples["operation"].split(" ", 1)
    expected_status, expected_body = http_answer(service, name)
    assert (status, body) == (expected_status, expected_body), (
        f"{service} no longer answers {examples['operation']} as its contract example "
        f"{name!r} says; update the example and the services that read it")
    validator = jsonschema_rs.Draft4Validator(
        response_schema(document, method, path, status), validate_formats=True)
    for what, answered in (("the example", expected_body), ("the answer", body)):
        errors = [error.message for error in validator.iter_errors(answered)]
        assert not errors, f"{what} {name!r} is not what the OpenAPI document says: {errors}"


# A stubbed operation: (the verified caller's user id or None, the path's parameters)
# -> (status, JSON body).
StubAnswer = Callable[[str | None, dict[str, str]], tuple[int, Any]]


@contextmanager
def serve_stub(signing_key: SigningKey, answers: dict[str, StubAnswer]) -> Iterator[str]:
    """Another service as its callers see it: real HTTP on a free port, answering each
    ``"GET /path/<param>"`` of ``answers`` (werkzeug rules, as the real routes write
    them) for the caller whose bearer token ``signing_key`` signed; yields the base URL.
    A path no rule matches is a 404, a token that does not verify a 401 (problem+json)."""
    verifier = TokenVerifier(AuthSettings(), keys=jwks(signing_key))
    rules = Map([Rule(operation.split(" ", 1)[1], methods=[operation.split(" ", 1)[0]],
                      endpoint=operation) for operation in answers])

    def problem(status: int, slug: str, title: str, detail: str) -> Response:
        body = {"type": f"urn:shop:problem:{slug}", "title": title, "status": status,
                "detail": detail}
        return Response(json.dumps(body), status, content_type="application/problem+json")

    def application(environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        try:
            operation, parameters = rules.bind_to_environ(environ).match()
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            user_id = verifier.verify(token.strip()).user_id \
                if scheme.lower() == "bearer" else None
            status, body = answers[operation](user_id, parameters)
            response = Response(json.dumps(body, ensure_ascii=False), status,
                                content_type="application/json" if status < 400
                                else "application/problem+json")
        except HTTPException as exc:
            response = problem(exc.code or 500, "not-found" if exc.code == 404 else "bad-request",
                               exc.name, exc.description or exc.name)
        except Problem as exc:
            response = problem(exc.status, exc.slug, exc.title, exc.detail or exc.title)
        return response(environ, start_response)

    with served(application) as url:
        yield url
