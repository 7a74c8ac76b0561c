"""The payment API's settings, read from the environment."""

from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Process, env_int, env_str, laptop_default


@dataclass(frozen=True)
class Settings:
    # Where buyers' browsers reach us (the gateway): the base of redirect URLs.
    public_url: str = laptop_default("PAYMENT_PUBLIC_URL", "http://127.0.0.1:8080",
                                     read_by=[("payment", Process.API)])
    # Notifications older than this (or from the future) are refused: no replays.
    callback_max_age_s: int = 900

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            public_url=env_str("PAYMENT_PUBLIC_URL", cls.public_url).rstrip("/"),
            callback_max_age_s=env_int("PAYMENT_CALLBACK_MAX_AGE_S", cls.callback_max_age_s),
        )
