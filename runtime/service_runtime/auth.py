"""Access tokens: how they are issued, and how every service and the gateway verify them.

The user service signs short-lived access tokens (JWT, EdDSA/Ed25519) with a private
key and publishes the public keys as a JWKS. Everyone else verifies a token's
signature, issuer, audience and expiry against that JWKS: no service trusts an
identity it has not verified itself, so a header forged on the network gets nowhere.
A token also names its sign-in (``sid``); a sign-in that ended is refused within
seconds (see ``service_runtime.revocations``).

A process verifies a token's signature once: what it found (subject, roles, sign-in,
expiry) is kept by the token string for at most ``TOKEN_CACHE_TTL_S`` and never past the
token's expiry, at most ``TOKEN_CACHE_ENTRIES`` tokens. Every use still asks the deny-list,
so a revoked sign-in is refused as quickly as without the cache. A key withdrawn from the
JWKS stops a token it signed after ``TOKEN_CACHE_TTL_S`` at most (rotation publishes the
new key first, so only a key withdrawn in haste is concerned).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app, g, request

from service_runtime.config import EVERY_SERVICE, Process, laptop_default, local_api_url
from service_runtime.errors import Problem, Unauthorized
from service_runtime.revocations import (
    RevocationCheck,
    RevocationFeed,
    revocation_check,
    revocations_url_for,
)
from service_runtime.settings import Environment, Settings, at_least, variable

ALGORITHM = "EdDSA"
JWKS_PATH = "/api/v1/auth/jwks.json"
CUSTOMER, ADMIN = "customer", "admin"
# Verified tokens kept per process (see the module's docstring): a buyer retrying, a page
# that makes ten calls, pay the signature check once a minute instead of every time.
TOKEN_CACHE_TTL_S = 60.0
TOKEN_CACHE_ENTRIES = 10_000


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Not allowed"


@dataclass(frozen=True)
class AuthSettings(Settings):
    issuer: str = variable("AUTH_ISSUER", "shop-user")
    audience: str = variable("AUTH_AUDIENCE", "shop")
    access_token_ttl_s: int = variable("AUTH_ACCESS_TOKEN_TTL_S", 900, validate=at_least(1))
    # Unset: the user service on this machine, at the port its definition names.
    jwks_url: str = variable("AUTH_JWKS_URL", laptop_default(
        "AUTH_JWKS_URL", "http://127.0.0.1:<the user service's api_port>" + JWKS_PATH,
        read_by=[(EVERY_SERVICE, Process.API), ("gateway", Process.API)]))
    # Empty: the same origin as the JWKS (the user service), see revocations_url_for.
    revocations_url: str = variable("AUTH_REVOCATIONS_URL", "")
    revocations_interval_ms: int = variable("AUTH_REVOCATIONS_INTERVAL_MS", 1000,
                                            validate=at_least(1))

    @classmethod
    def read(cls, environment: Environment) -> AuthSettings:
        settings = super().read(environment)
        if environment.value(str, "AUTH_JWKS_URL", ""):
            return settings
        try:
            return dataclasses.replace(settings, jwks_url=local_api_url("user") + JWKS_PATH)
        except ImportError:
            environment.problem("AUTH_JWKS_URL", "not set, and the user service is not "
                                                 "installed here to take its port from")
            return settings


@dataclass(frozen=True)
class Identity:
    user_id: str
    roles: frozenset[str]

    def has_role(self, role: str) -> bool:
        return role in self.roles


class SigningKey:
    """An Ed25519 private key with its key id, as the user service holds it."""

    def __init__(self, private_key: Ed25519PrivateKey, kid: str | None = None) -> None:
        self.private_key = private_key
        public_jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key()))
        self.kid = kid or _thumbprint(public_jwk)
        self.public_jwk = {**public_jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, private_pem: str, kid: str | None = None) -> SigningKey:
        return cls(serialization.load_pem_private_key(private_pem.encode(), None), kid)

    def private_pem(self) -> str:
        """The private key as unencrypted PKCS#8 PEM, as the user service stores it."""
        return self.private_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()

    def issue(self, settings: AuthSettings, user_id: str, roles: tuple[str, ...] | list[str],
              ttl_s: int | None = None, now: float | None = None,
              session_id: str | None = None) -> str:
        """A signed access token; ``session_id`` (the sign-in) lets it be revoked early."""
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": settings.issuer,
            "aud": settings.audience,
            "sub": user_id,
            "roles": sorted(roles),
            "iat": issued,
            "exp": issued + (ttl_s if ttl_s is not None else settings.access_token_ttl_s),
            "jti": uuid.uuid4().hex,
        }
        if session_id is not None:
            claims["sid"] = session_id
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM,
                          headers={"kid": self.kid, "typ": "at+jwt"})


def jwks(*keys: SigningKey) -> dict:
    return {"keys": [key.public_jwk for key in keys]}


class TokenVerifier:
    """Verifies access tokens against a JWKS, and refuses those of a revoked sign-in.

    ``keys`` is the JWKS document, or a function returning it (the user service reads
    its own keys), or None to fetch ``settings.jwks_url`` (cached; refetched when a
    token names an unknown key, so rotation needs no restart).

    ``revocations`` is a set of revoked session ids, or a function answering "is this
    session revoked?" (the user service reads its own table). None means: with fetched
    keys, the user service's deny-list kept fresh in the background (RevocationFeed);
    with given keys (tests), no revocations.
    """

    def __init__(self, settings: AuthSettings,
                 keys: Mapping | Callable[[], Mapping] | None = None,
                 revocations: Iterable[str] | RevocationCheck | None = None,
                 service: str = "") -> None:
        self.settings = settings
        self._keys = keys
        self._client = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300, timeout=5)
            if keys is None else None
        )
        self.revocations = revocation_check(revocations)
        if self.revocations is None and keys is None:
            self.revocations = RevocationFeed(
                settings.revocations_url or revocations_url_for(settings.jwks_url),
                settings.revocations_interval_ms / 1000, service)
        self._cache: OrderedDict[str, _Verified] = OrderedDict()
        self._cache_lock = threading.Lock()

    def _verified(self, token: str) -> _Verified | None:
        """What an earlier ``verify`` found for this very token, if still good to use."""
        with self._cache_lock:
            found = self._cache.get(token)
        if found is None:
            return None
        if found.good_until <= time.time():
            with self._cache_lock:
                self._cache.pop(token, None)
            return None
        return found

    def _remember(self, token: str, verified: _Verified) -> None:
        with self._cache_lock:
            self._cache[token] = verified
            while len(self._cache) > TOKEN_CACHE_ENTRIES:
                self._cache.popitem(last=False)  # the oldest verified first

    def _key_for(self, token: str) -> Any:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        document = self._keys() if callable(self._keys) else self._keys
        kid = jwt.get_unverified_header(token).get("kid")
        for key in jwt.PyJWKSet.from_dict(dict(document)).keys:
            if key.key_id == kid:
                return key.key
        raise jwt.InvalidTokenError("unknown signing key")

    def verify(self, token: str) -> Identity:
        verified = self._verified(token)
        if verified is None:
            verified = self._check_signature(token)
            self._remember(token, verified)
        if verified.session_id is not None and self.revocations is not None \
                and self.revocations(verified.session_id):
            raise Unauthorized("this sign-in has ended; sign in again", reason="token-revoked")
        return verified.identity

    def _check_signature(self, token: str) -> _Verified:
        """The claims of a token whose signature, issuer, audience and expiry hold."""
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=[ALGORITHM],  # never "none", never what the token says
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=5,
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthorized("the access token is not valid", reason=type(exc).__name__) \
                from exc
        roles = claims.get("roles") or []
        if not isinstance(roles, list):
            raise Unauthorized("the access token is not valid")
        session_id = claims.get("sid")
        # Kept until it expires (jwt.decode refused it past exp + leeway, so no later).
        good_until = min(float(claims["exp"]), time.time() + TOKEN_CACHE_TTL_S)
        return _Verified(Identity(str(claims["sub"]), frozenset(str(r) for r in roles)),
                         None if session_id is None else str(session_id), good_until)


@dataclass(frozen=True)
class _Verified:
    identity: Identity
    session_id: str | None
    good_until: float  # epoch seconds


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def verifier() -> TokenVerifier:
    """The app's verifier, built on first use (nothing is fetched when the app is built)."""
    existing = current_app.extensions.get("token_verifier")
    if existing is None:
        # Two first requests may race here: both keep the verifier stored first (a feed
        # starts only when used, so the other one never starts).
        existing = current_app.extensions.setdefault("token_verifier", TokenVerifier(
            auth_settings(), current_app.config.get("AUTH_JWKS"),
            current_app.config.get("AUTH_REVOCATIONS"),
            current_app.extensions.get("service_name", current_app.name)))
    return existing


def auth_settings() -> AuthSettings:
    """The settings the app was built with (``create_app`` reads them once)."""
    return current_app.extensions["auth_settings"]


def start_revocation_feed(app: Any) -> None:
    """Start the app's deny-list refresher now, if it has one (a WSGI app that is not a
    Flask app, an app that checks no tokens, such as a worker's ops endpoints or a bare
    Flask app, or a verifier with configured revocations, has nothing to start)."""
    if not hasattr(app, "app_context") or app.extensions.get("auth_settings") is None:
        return
    with app.app_context():
        revocations = verifier().revocations
    if isinstance(revocations, RevocationFeed):
        revocations.start()


def current_identity() -> Identity:
    """The verified caller, or a 401 problem."""
    if "identity" not in g:
        token = bearer_token()
        if token is None:
            raise Unauthorized("sign in to do this")
        g.identity = verifier().verify(token)
    return g.identity


def current_user_id() -> str:
    return current_identity().user_id


def require_role(role: str) -> Identity:
    identity = current_identity()
    if not identity.has_role(role):
        raise Forbidden(f"this needs the {role} role")
    return identity


def _thumbprint(public_jwk: dict) -> str:
    """The RFC 7638 thumbprint of an OKP public key, used as its key id."""
    canonical = json.dumps({k: public_jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"),
                           sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
