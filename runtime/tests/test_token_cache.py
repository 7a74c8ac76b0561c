"""The verified-token cache: a process checks a token's signature once, yet an expired
token or a revoked sign-in is refused as it was without the cache."""

from __future__ import annotations

import time
import types
from datetime import UTC, datetime

import jwt
import pytest

from service_runtime import auth
from service_runtime.auth import AuthSettings, SigningKey, TokenVerifier, jwks
from service_runtime.errors import Unauthorized

SETTINGS = AuthSettings()


class CountedKeys:
    """The JWKS as a function (as the user service gives its own): counts the look-ups,
    one per signature checked."""

    def __init__(self, key: SigningKey) -> None:
        self.document, self.calls = jwks(key), 0

    def __call__(self) -> dict:
        self.calls += 1
        return self.document


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


def test_a_token_is_checked_once_and_then_identified_from_memory(key):
    keys = CountedKeys(key)
    verifier = TokenVerifier(SETTINGS, keys, revocations=set())
    token = key.issue(SETTINGS, "u-1", ("customer",))
    first, second = verifier.verify(token), verifier.verify(token)
    assert first == second and first.user_id == "u-1" and keys.calls == 1
    verifier.verify(key.issue(SETTINGS, "u-2", ("customer",)))
    assert keys.calls == 2  # another token: its own check


def test_a_cached_token_of_a_revoked_sign_in_is_refused(key):
    revoked: set[str] = set()
    verifier = TokenVerifier(SETTINGS, jwks(key), revocations=revoked.__contains__)
    token = key.issue(SETTINGS, "u-1", ("customer",), session_id="sid-1")
    assert verifier.verify(token).user_id == "u-1"
    revoked.add("sid-1")
    with pytest.raises(Unauthorized) as refused:
        verifier.verify(token)
    assert refused.value.extra["reason"] == "token-revoked"


def test_a_cached_token_is_refused_once_it_expires(key, monkeypatch):
    keys = CountedKeys(key)
    verifier = TokenVerifier(SETTINGS, keys, revocations=set())
    token = key.issue(SETTINGS, "u-1", ("customer",), ttl_s=10)
    assert verifier.verify(token).user_id == "u-1"
    # Past the token's expiry (and the leeway), within what the cache keeps a token for.
    later = time.time() + 30
    assert auth.TOKEN_CACHE_TTL_S > 30

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
            return datetime.fromtimestamp(later, tz or UTC)

    monkeypatch.setattr(auth, "time", types.SimpleNamespace(time=lambda: later))
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    with pytest.raises(Unauthorized):
        verifier.verify(token)
    assert keys.calls == 2  # not answered from memory


def test_the_cache_is_bounded(key, monkeypatch):
    monkeypatch.setattr(auth, "TOKEN_CACHE_ENTRIES", 3)
    keys = CountedKeys(key)
    verifier = TokenVerifier(SETTINGS, keys, revocations=set())
    tokens = [key.issue(SETTINGS, f"u-{n}", ("customer",)) for n in range(5)]
    for token in tokens:
        verifier.verify(token)
    verifier.verify(tokens[-1])
    assert keys.calls == 5  # the newest is kept
    verifier.verify(tokens[0])
    assert keys.calls == 6  # the oldest left
