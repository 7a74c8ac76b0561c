"""The after-sales service's own settings, read once when a process starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aftersales.domain import DEFAULT_RETURN_WINDOW_DAYS
from service_runtime.settings import Settings, at_least, variable


@dataclass(frozen=True)
class AftersalesSettings(Settings):
    # How long after delivery (or completion) a buyer may ask for a return.
    return_window_days: int = variable("RETURN_WINDOW_DAYS", DEFAULT_RETURN_WINDOW_DAYS,
                                       validate=at_least(1))

    @property
    def return_window(self) -> timedelta:
        return timedelta(days=self.return_window_days)
