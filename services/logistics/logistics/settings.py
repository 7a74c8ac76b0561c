"""The logistics service's own settings, read once when a process starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError

from event_contracts.vocabulary import DeliveryMethod
from logistics.carriers import DEFAULT_MAX_AGE_S, demo_secret
from logistics.domain import CALLBACK_CARRIERS, DEFAULT_TRANSIT_DAYS
from service_runtime.settings import Settings, at_least, variable


def carrier_to_secret(value: Any) -> None:
    if isinstance(value, Mapping) and not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
        raise ValidationError("Must be a JSON object of carrier -> non-empty secret.")


@dataclass(frozen=True)
class LogisticsSettings(Settings):
    # JSON {"sf": "...", ...}: only the carriers it names may call back. Unset, the
    # embedded default uses the public demo secrets: never run production without it.
    carrier_secrets: Mapping[str, str] = variable("CARRIER_SECRETS", {}, secret=True,
                                                  validate=carrier_to_secret)
    callback_max_age_s: int = variable("CARRIER_CALLBACK_MAX_AGE_S", DEFAULT_MAX_AGE_S,
                                       validate=at_least(1))
    # Days from shipping to delivery, per delivery method.
    transit_days_standard: int = variable("TRANSIT_DAYS_STANDARD",
                                          DEFAULT_TRANSIT_DAYS[DeliveryMethod.STANDARD],
                                          validate=at_least(0))
    transit_days_express: int = variable("TRANSIT_DAYS_EXPRESS",
                                         DEFAULT_TRANSIT_DAYS[DeliveryMethod.EXPRESS],
                                          validate=at_least(0))
    transit_days_pickup: int = variable("TRANSIT_DAYS_PICKUP",
                                        DEFAULT_TRANSIT_DAYS[DeliveryMethod.PICKUP],
                                          validate=at_least(0))

    @property
    def secrets(self) -> dict[str, str]:
        """The configured secrets, else the demo ones of every carrier that calls back."""
        if self.carrier_secrets:
            return dict(self.carrier_secrets)
        return {carrier: demo_secret(carrier) for carrier in CALLBACK_CARRIERS}

    @property
    def transit_days(self) -> dict[str, int]:
        return {DeliveryMethod.STANDARD: self.transit_days_standard,
                DeliveryMethod.EXPRESS: self.transit_days_express,
                DeliveryMethod.PICKUP: self.transit_days_pickup}
