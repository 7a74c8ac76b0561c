"""The web pages' settings, read once when the app is built."""

from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Process, laptop_default
from service_runtime.settings import Settings, at_least, variable

# Signs the session cookie (the shopper's tokens and cart token). The default only suits
# one laptop: every replica of a deployment must share one secret value of its own.
LAPTOP_SECRET = "embedded-default-web-session-key-change-me"


@dataclass(frozen=True)
class WebSettings(Settings):
    # Where the pages find the public API: the gateway, as any client app would.
    gateway_url: str = variable("WEB_GATEWAY_URL", laptop_default(
        "WEB_GATEWAY_URL", "http://127.0.0.1:8080", read_by=[("web", Process.API)]))
    # The gateway's flash-sale pool: the flash pages' calls (/flash-sales/...) go there, as
    # the ingress routes a client app's (api_gateway.definition.FLASH_POOL).
    flash_gateway_url: str = variable("WEB_FLASH_GATEWAY_URL", laptop_default(
        "WEB_FLASH_GATEWAY_URL", "http://127.0.0.1:8088", read_by=[("web", Process.API)]))
    secret_key: str = variable("WEB_SECRET_KEY", laptop_default(
        "WEB_SECRET_KEY", LAPTOP_SECRET, read_by=[("web", Process.API)]), secret=True)
    # Cookies marked Secure need HTTPS: on for any deployment behind TLS.
    secure_cookies: bool = variable("WEB_SECURE_COOKIES", False)
    connect_timeout_ms: int = variable("WEB_CONNECT_TIMEOUT_MS", 2000, validate=at_least(1))
    read_timeout_ms: int = variable("WEB_READ_TIMEOUT_MS", 15000, validate=at_least(1))
    # Hosts that serve the catalog's real pictures (a CDN); others get a local placeholder.
    image_hosts: tuple[str, ...] = variable("WEB_IMAGE_HOSTS", ())
    pool_size: int = variable("WEB_POOL_SIZE", 16, validate=at_least(1))

    @property
    def timeouts(self) -> tuple[float, float]:
        return self.connect_timeout_ms / 1000, self.read_timeout_ms / 1000
