"""The gateway's settings, read once when its app is built."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from marshmallow import ValidationError

from api_gateway.routes import Upstreams
from service_runtime.config import Process, laptop_default
from service_runtime.settings import Environment, Settings, at_least, variable


def networks(values: tuple[str, ...]) -> None:
    for value in values:
        try:
            ipaddress.ip_network(value)
        except ValueError as error:
            raise ValidationError(str(error)) from error


@dataclass(frozen=True)
class GatewaySettings(Settings):
    pool_size: int = variable("GATEWAY_POOL_SIZE", 32, validate=at_least(1))
    connect_timeout_ms: int = variable("UPSTREAM_CONNECT_TIMEOUT_MS", 2000, validate=at_least(1))
    read_timeout_ms: int = variable("UPSTREAM_READ_TIMEOUT_MS", 15000, validate=at_least(1))
    cors_origins: tuple[str, ...] = variable("CORS_ORIGINS", ("*",))
    # A Redis URL may carry a password.
    rate_limit_storage_uri: str = variable("RATE_LIMIT_STORAGE_URI", "memory://", secret=True)
    auth_rate_limit: str = variable("AUTH_RATE_LIMIT", "20/minute")
    aggregation_threads: int = variable("GATEWAY_AGGREGATION_THREADS", 8, validate=at_least(1))
    # Anonymous answers of the public catalog are kept this long (0: not at all), at most
    # this many: the age bound on a price or stock figure a shopper may see.
    cache_ttl_ms: int = variable("GATEWAY_CACHE_TTL_MS", 1000, validate=at_least(0))
    cache_entries: int = variable("GATEWAY_CACHE_ENTRIES", 2048, validate=at_least(1))
    # A flash item's sold-out answer is given again by the gateway for this long (0: never),
    # without a token check or a hop (api_gateway.flash_memo).
    flash_sold_out_memo_ms: int = variable("GATEWAY_FLASH_SOLD_OUT_MEMO_MS", 500,
                                           validate=at_least(0))
    # The web pages (storefront and admin console): every path outside /api/v1 goes there.
    web_url: str = variable("WEB_SERVICE_URL", laptop_default(
        "WEB_SERVICE_URL", "http://127.0.0.1:8090", read_by=[("gateway", Process.API)]))
    # Networks of proxies whose X-Forwarded-For names the real client (the web pages call
    # the API for every shopper from one address): rate limits count that client.
    trusted_proxies: tuple[str, ...] = variable("GATEWAY_TRUSTED_PROXIES", laptop_default(
        "GATEWAY_TRUSTED_PROXIES", ("127.0.0.1/32", "::1/128"),
        read_by=[("gateway", Process.API)]), validate=networks)
    # Which service answers where (<SERVICE>_SERVICE_URL each).
    upstreams: Upstreams = field(default_factory=lambda: Upstreams({}))

    @classmethod
    def read(cls, environment: Environment) -> GatewaySettings:
        return cls(**{**vars(super().read(environment)),
                      "upstreams": Upstreams.read(environment)})

    @property
    def timeouts(self) -> tuple[float, float]:
        """(connect, read) in seconds, as requests takes them."""
        return self.connect_timeout_ms / 1000, self.read_timeout_ms / 1000
