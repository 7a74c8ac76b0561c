"""The pages' only way to the platform: the gateway's public API, called as a browser
client app calls it.

The shopper's access and refresh tokens and the guest cart token live in the signed
session cookie; every call sends them the way a client app does (``Authorization:
Bearer``, ``X-Cart-Token``), refreshes an expired access token once, and turns an error
answer (problem+json) into :class:`ApiProblem`, which a page shows next to what caused it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from flask import current_app, request, session

from service_runtime.http_client import pooled_session

API_PREFIX = "/api/v1"
CART_TOKEN_HEADER = "X-Cart-Token"


@dataclass
class ApiProblem(Exception):
    """An error answer of the API (problem+json), or the API not answering at all."""

    status: int
    title: str
    detail: str = ""
    type: str = ""
    # field name (as the API names it, e.g. "quantity" or "lines.0.sku") -> messages
    fields: dict[str, list[str]] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail or self.title

    @property
    def slug(self) -> str:
        """The last part of the problem type (``urn:shop:problem:insufficient-stock`` or a
        URL), e.g. ``insufficient-stock``."""
        return re.split(r"[/:]", self.type.rstrip("/"))[-1]

    def message_for(self, name: str) -> str | None:
        """The messages about one form field, if the API named it."""
        messages = [m for key, found in self.fields.items()
                    if key == name or key.endswith("." + name) for m in found]
        return " ".join(messages) or None

    @classmethod
    def from_response(cls, response: requests.Response) -> ApiProblem:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        fields: dict[str, list[str]] = {}
        for error in body.get("errors") or []:
            if isinstance(error, dict) and error.get("field") is not None:
                fields.setdefault(str(error["field"]), []).extend(
                    str(m) for m in error.get("messages") or [])
        return cls(status=response.status_code,
                   title=str(body.get("title") or response.reason or "Error"),
                   detail=str(body.get("detail") or ""), type=str(body.get("type") or ""),
                   fields=fields, body=body)


class SignInRequired(Exception):
    """The page needs a signed-in shopper and there is none (or the session ended)."""


# Paths the gateway's flash-sale pool serves (what the ingress routes to it).
FLASH_SALE_PATHS = "/flash-sales"


class Gateway:
    """A pooled HTTP session to the gateway (one per process, shared by its threads); the
    flash-sale calls go to the gateway's flash-sale pool, as a client app's do."""

    def __init__(self, base_url: str, timeouts: tuple[float, float], pool_size: int,
                 flash_base_url: str | None = None) -> None:
        self.base_url = base_url.rstrip("/") + API_PREFIX
        self.flash_base_url = (flash_base_url or base_url).rstrip("/") + API_PREFIX
        self.timeouts = timeouts
        # Shared by every shopper: it never keeps a cookie from one answer for the next.
        self.http = pooled_session(pool_size, hosts=4)

    def send(self, method: str, path: str, *, json: Any = None, data: bytes | None = None,
             params: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> requests.Response:
        base = self.flash_base_url if path.startswith(FLASH_SALE_PATHS) else self.base_url
        try:
            return self.http.request(method, base + path, json=json, data=data,
                                     params=params, headers=headers, timeout=self.timeouts,
                                     allow_redirects=False)
        except requests.RequestException as error:
            raise ApiProblem(503, "The shop is not reachable right now",
                             "Please try again in a moment.", "service-unavailable") from error


def gateway() -> Gateway:
    return current_app.extensions["shop_gateway"]


def _headers(extra: dict[str, str] | None) -> dict[str, str]:
    headers = {"Accept": "application/json", **(extra or {})}
    if session.get("access_token"):
        headers["Authorization"] = f"Bearer {session['access_token']}"
    if session.get("cart_token"):
        headers[CART_TOKEN_HEADER] = session["cart_token"]
    # The gateway limits sign-in attempts per client address: the shopper's, not ours.
    headers.update(forwarded_for())
    return headers


def forwarded_for() -> dict[str, str]:
    """``X-Forwarded-For`` naming this request's shopper after whoever forwarded it."""
    if not request.remote_addr:
        return {}
    forwarded = request.headers.get("X-Forwarded-For")
    return {"X-Forwarded-For": f"{forwarded}, {request.remote_addr}" if forwarded
            else request.remote_addr}


def call(method: str, path: str, *, json: Any = None, data: bytes | None = None,
         params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
         credentials: bool = False) -> Any:
    """One API call on behalf of the shopper of this request; the answer's JSON (or None).

    Raises :class:`ApiProblem` for an error answer and :class:`SignInRequired` when the
    API wants a signed-in caller and the session's tokens cannot be renewed. A call that
    presents ``credentials`` (signing in) gets its 401 as a problem: they were wrong.
    """
    params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    response = gateway().send(method, path, json=json, data=data, params=params,
                              headers=_headers(headers))
    if response.status_code == 401 and session.get("refresh_token") and _refresh():
        response = gateway().send(method, path, json=json, data=data, params=params,
                                  headers=_headers(headers))
    issued = response.headers.get(CART_TOKEN_HEADER)
    if issued and issued != session.get("cart_token") and not session.get("access_token"):
        session["cart_token"] = issued
    if response.status_code == 401 and not credentials:
        forget_tokens()
        raise SignInRequired()
    if response.status_code >= 400:
        raise ApiProblem.from_response(response)
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def get(path: str, **params: Any) -> Any:
    return call("GET", path, params=params)


def post(path: str, body: Any = None, *, idempotency_key: str | None = None,
         credentials: bool = False) -> Any:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    return call("POST", path, json=body if body is not None else {}, headers=headers,
                credentials=credentials)


def upload(path: str, content: bytes, content_type: str) -> Any:
    """POST a file's bytes as the request body (an NDJSON product file)."""
    return call("POST", path, data=content, headers={"Content-Type": content_type})


def patch(path: str, body: Any) -> Any:
    return call("PATCH", path, json=body)


def put(path: str, body: Any) -> Any:
    return call("PUT", path, json=body)


def delete(path: str) -> Any:
    return call("DELETE", path)


def new_idempotency_key() -> str:
    """A key for one intent of the shopper (one press of "place order"), kept in the form
    so that a resubmission of the same form cannot place a second order."""
    return uuid.uuid4().hex


def remember_tokens(tokens: dict[str, Any]) -> None:
    session["access_token"] = tokens["access_token"]
    session["refresh_token"] = tokens["refresh_token"]


def forget_tokens() -> None:
    for key in ("access_token", "refresh_token"):
        session.pop(key, None)


def _refresh() -> bool:
    response = gateway().send("POST", "/auth/refresh",
                              json={"refresh_token": session["refresh_token"]},
                              headers={"Accept": "application/json"})
    if response.status_code != 200:
        forget_tokens()
        return False
    remember_tokens(response.json())
    return True


@dataclass(frozen=True)
class Shopper:
    user_id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def current_shopper() -> Shopper | None:
    """Who the session's access token names, for showing the right links. The token is
    read, not verified: the API verifies it on every call, and decides what it allows."""
    token = session.get("access_token")
    if not token:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
    except jwt.PyJWTError:
        forget_tokens()
        return None
    return Shopper(str(claims.get("sub", "")), frozenset(claims.get("roles") or ()))
