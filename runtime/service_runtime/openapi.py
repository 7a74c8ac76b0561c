"""What keeps each service's OpenAPI document the truth about its routes.

- Access: :func:`signed_in`, :func:`requires_role` and :func:`token_optional` decorate a
  view, and :class:`SecuredBlueprint` a whole blueprint. The one declaration both enforces
  the rule (before the body and before the request is parsed) and documents it as the
  operation's ``security`` with its 401/403 answers, so the two cannot drift apart.
- ``operationId``: every operation gets a stable one, from its HTTP method and view.
- Rules between fields: a schema's ``Meta.json_schema`` holds the JSON Schema keywords
  (``anyOf``, ``oneOf`` of ``required`` lists, ...) its ``@validates_schema`` enforces, and
  :class:`SchemaRulesPlugin` writes them into the document.
- Field rules apispec would leave out: the validators inside ``validate.And`` and the
  shape of an http(s) URL (see :func:`and_validators2properties`, :func:`url2properties`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from copy import copy, deepcopy
from typing import Any, TypeVar

from apispec import BasePlugin
from flask import request
from flask_smorest.utils import deepupdate
from marshmallow import fields, validate

from service_runtime.auth import bearer_token, current_identity, require_role
from service_runtime.blueprint import Blueprint

BEARER_SCHEME = "bearerAuth"
BEARER_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An access token from POST /api/v1/auth/login (EdDSA-signed JWT).",
}
# The components every service's document shares (same runtime, same definitions): the
# gateway keeps one copy of each instead of one per service.
SHARED_SCHEMAS = frozenset({"Problem", "FieldError"})
SHARED_KINDS = frozenset({"responses", "securitySchemes"})

View = TypeVar("View", bound=Callable[..., Any])


def access_doc(role: str | None = None, optional: bool = False) -> dict:
    """The ``security`` and error answers an operation with this access rule documents."""
    if optional:  # a token changes the answer (whose cart), none is needed
        return {"security": [{}, {BEARER_SCHEME: []}], "responses": {"401": "UNAUTHORIZED"}}
    responses = {"401": "UNAUTHORIZED"}
    if role is not None:
        responses["403"] = "FORBIDDEN"
    return {"security": [{BEARER_SCHEME: []}], "responses": responses}


def enforce_access(role: str | None = None, optional: bool = False) -> None:
    """401 without a valid token (or with a bad one), 403 without ``role``."""
    if optional:
        if bearer_token() is not None:
            current_identity()
    elif role is not None:
        require_role(role)
    else:
        current_identity()


def _access(role: str | None, optional: bool) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            enforce_access(role, optional)
            return view(*args, **kwargs)

        # flask-smorest reads the operation's doc from ``_apidoc``; copy, never mutate.
        apidoc = deepcopy(getattr(view, "_apidoc", {}))
        apidoc["manual_doc"] = deepupdate(apidoc.get("manual_doc", {}),
                                          access_doc(role, optional))
        guarded._apidoc = apidoc  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorator


def signed_in(view: View) -> View:
    """The route needs a signed-in caller (any role). Put it above the other decorators."""
    return _access(None, False)(view)


def requires_role(role: str) -> Callable[[View], View]:
    """The route needs a signed-in caller with ``role``."""
    return _access(role, False)


def token_optional(view: View) -> View:
    """The route works without a token; a token (verified if sent) changes the answer."""
    return _access(None, True)(view)


class SecuredBlueprint(Blueprint):
    """A blueprint every route of which needs a signed-in caller (with ``role`` if given)."""

    def __init__(self, *args: Any, role: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = role
        self.before_request(self._enforce_access)
        self._prepare_doc_cbks.append(self._document_access)

    def _enforce_access(self) -> None:
        # A CORS preflight carries no token and is answered by Flask itself: never a 401.
        if request.method != "OPTIONS":
            enforce_access(self.role)

    def _document_access(self, doc: dict, _doc_info: dict, **_kwargs: Any) -> dict:
        return deepupdate(doc, access_doc(self.role))


def operation_id(method: str, endpoint: str) -> str:
    """``getProductById`` for the GET of view ``catalog.ProductById``."""
    view = endpoint.rsplit(".", 1)[-1]
    words = [w for w in re.split(r"[_\W]+", view) if w]
    return method.lower() + "".join(w[:1].upper() + w[1:] for w in words)


class OperationIdPlugin(BasePlugin):
    """Gives every operation an ``operationId``, refusing two equal ones in one document."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, str] = {}

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None:
            return
        for method, operation in (operations or {}).items():
            oid = operation.setdefault("operationId", operation_id(method, rule.endpoint))
            where = f"{method.upper()} {path}"
            if self.seen.setdefault(oid, where) != where:
                raise ValueError(f"operationId {oid} of {where} is {self.seen[oid]}'s too")


class SchemaRulesPlugin(BasePlugin):
    """Writes a schema's ``Meta.json_schema`` (the rules its validators enforce) into it,
    and drops the ``default: null`` apispec writes for a property that may not be null
    (``load_default=None, allow_none=False``: left out, it is None; sent as null, refused)."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        for prop in definition.get("properties", {}).values():
            if "default" in prop and prop["default"] is None and not prop.get("nullable"):
                del prop["default"]
        schema = kwargs.get("schema")
        meta = getattr(schema, "Meta", None)
        rules = getattr(meta, "json_schema", None)
        return deepcopy(rules) if rules else None


# What marshmallow's URL validator accepts for http(s) with a TLD, as a JSON Schema
# pattern: so a generated "valid" URL is one the server takes too.
URL_HOST_AND_PATH = r"://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,63}(/[!-~]*)?$"


def and_validators2properties(self: Any, field: fields.Field, ret: dict,
                              **_kwargs: Any) -> dict:
    """``validate.And(Length(...), Regexp(...))`` documented as if the validators were
    listed one by one (apispec only reads a field's top-level validators)."""
    inner = [v for outer in field.validators if isinstance(outer, validate.And)
             for v in outer.validators]
    if not inner:
        return {}
    flat = copy(field)
    flat.validators = inner
    found: dict = {}
    for convert in (self.field2choices, self.field2length, self.field2pattern):
        found.update(convert(flat))
    found.update(self.field2range(flat, ret=ret))
    return found


def url2properties(self: Any, field: fields.Field, ret: dict, **_kwargs: Any) -> dict:
    if not isinstance(field, fields.Url) or "pattern" in ret:
        return {}
    schemes = {scheme for v in field.validators if isinstance(v, validate.URL)
               for scheme in (v.schemes or ())}
    if not schemes or not schemes <= {"http", "https"}:
        return {}
    scheme = "https?" if schemes == {"http", "https"} else schemes.pop()
    return {"pattern": f"^{scheme}{URL_HOST_AND_PATH}"}


ATTRIBUTE_FUNCTIONS = (and_validators2properties, url2properties)
