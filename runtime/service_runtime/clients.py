"""Who a request comes from, for rate limits (the gateway's and a service's own).

Behind a proxy the peer is the proxy: its ``X-Forwarded-For`` names the client. Only
proxies in ``trusted`` networks are believed, so a client cannot name someone else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network

from flask import request


def client_address(trusted: list[IPv4Network | IPv6Network]) -> Callable[[], str]:
    """The peer, or, when the peer is a trusted proxy, the nearest address its
    ``X-Forwarded-For`` names that is not itself a trusted proxy."""
    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in trusted)

    def key() -> str:
        peer = request.remote_addr or ""
        if not is_trusted(peer):
            return peer
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        for address in reversed(forwarded):
            if address and not is_trusted(address):
                return address
        return peer

    return key
