"""Which URLs a partner webhook may point at: no request forgery into our own network.

An admin names the URL and the worker POSTs to it from inside the platform, so an
unchecked URL would let it reach the loopback, the cluster's private addresses or a cloud
metadata service (169.254.169.254). By default a URL must be https and every address its
host resolves to must be global (not loopback, private, link-local, multicast, reserved
or unspecified). Networks listed in ``ANALYTICS_WEBHOOK_ALLOWED_NETWORKS`` are allowed
anyway, and ``ANALYTICS_WEBHOOK_ALLOW_HTTP`` allows plain http: tests and local
development use both for receivers on the loopback.

The check runs when an endpoint is created or edited and again before every delivery,
since what a name resolves to can change after it was accepted.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import urlsplit

from service_runtime.errors import InvalidInput


class Scheme(StrEnum):
    HTTPS = "https"
    HTTP = "http"


class UrlRefused(InvalidInput):
    slug = "webhook-url-refused"
    title = "The webhook URL is not allowed"


@dataclass(frozen=True)
class UrlPolicy:
    """What the settings allow beyond public https endpoints."""

    allowed_networks: tuple[IPv4Network | IPv6Network, ...] = field(default=())
    allow_http: bool = False

    @classmethod
    def of(cls, networks: Sequence[str], allow_http: bool) -> UrlPolicy:
        return cls(tuple(ipaddress.ip_network(n) for n in networks), allow_http)


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (what the HTTP client may connect to)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    # A scoped IPv6 address ("fe80::1%eth0") carries its zone after a percent sign.
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


def _addresses(host: str) -> list[IPv4Address | IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        return [ipaddress.ip_address(address) for address in resolve(host)]
    except (OSError, UnicodeError) as error:
        raise UrlRefused(f"the host {host!r} does not resolve: {error}") from error


def _unmapped(address: IPv4Address | IPv6Address) -> IPv4Address | IPv6Address:
    # An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 one.
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def check_url(url: str, policy: UrlPolicy) -> None:
    """Raise ``UrlRefused`` (422) unless ``url`` may receive webhook deliveries."""
    parts = urlsplit(url)
    allowed_schemes = {Scheme.HTTPS.value} | ({Scheme.HTTP.value} if policy.allow_http
                                              else set())
    if parts.scheme not in allowed_schemes:
        raise UrlRefused(f"a webhook URL must use {' or '.join(sorted(allowed_schemes))}")
    if parts.username or parts.password:
        raise UrlRefused("a webhook URL must not carry credentials: the signature "
                         "authenticates the shop")
    host = parts.hostname
    if not host:
        raise UrlRefused("a webhook URL needs a host")
    for address in map(_unmapped, _addresses(host)):
        if (address.is_global and not address.is_multicast) or any(
                address in network for network in policy.allowed_networks):
            continue
        raise UrlRefused(f"the host {host!r} resolves to {address}, a loopback, private, "
                         "link-local or reserved address; only public addresses (or "
                         "ANALYTICS_WEBHOOK_ALLOWED_NETWORKS) may receive webhooks")
