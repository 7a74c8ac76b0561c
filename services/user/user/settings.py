"""The user service's own settings, read once when a process starts."""

from __future__ import annotations

from dataclasses import dataclass

from service_runtime.settings import Settings, at_least, ip_networks, variable


@dataclass(frozen=True)
class UserSettings(Settings):
    # A one-time code is always checked when given; this makes one mandatory to register.
    registration_requires_code: bool = variable("REGISTRATION_REQUIRES_CODE", False)
    # The account ``python -m user ensure-admin`` creates.
    admin_email: str = variable("ADMIN_EMAIL", "admin@shop.local")
    admin_password: str = variable("ADMIN_PASSWORD", "admin-change-me", secret=True)
    # Points expire this many days after they were credited; 0: never.
    points_expiry_days: int = variable("POINTS_EXPIRY_DAYS", 365, validate=at_least(0))
    # How often the worker looks for points to expire.
    points_expiry_interval_s: int = variable("POINTS_EXPIRY_INTERVAL_S", 600,
                                             validate=at_least(1))
    # The proxies whose X-Forwarded-For names the client of a sign-in (the gateway): by
    # default the loopback and private networks, where a cluster's pods live. A failed
    # sign-in's SignInFailed names that client, for the risk rules.
    trusted_proxies: tuple[str, ...] = variable(
        "USER_TRUSTED_PROXIES",
        ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
        validate=ip_networks)
