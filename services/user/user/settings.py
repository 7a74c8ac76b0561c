"""The user service's own settings, read once when a process starts."""

from __future__ import annotations

from dataclasses import dataclass

from service_runtime.settings import Settings, variable


@dataclass(frozen=True)
class UserSettings(Settings):
    # A one-time code is always checked when given; this makes one mandatory to register.
    registration_requires_code: bool = variable("REGISTRATION_REQUIRES_CODE", False)
    # The account ``python -m user ensure-admin`` creates.
    admin_email: str = variable("ADMIN_EMAIL", "admin@shop.local")
    admin_password: str = variable("ADMIN_PASSWORD", "admin-change-me", secret=True)
