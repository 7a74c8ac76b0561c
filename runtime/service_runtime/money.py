"""An amount of money as the services hand it to their response schemas, and its schema."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate

from service_runtime.bounds import INT32_MAX


@dataclass(frozen=True)
class Money:
    """Integer minor units (fen for CNY), never a float, and its ISO 4217 currency."""

    amount: int
    currency: str


def money_json(amount: int, currency: str) -> dict[str, int | str]:
    """An amount as event payloads and hand-built answers carry it: ``{amount, currency}``."""
    return {"amount": amount, "currency": currency}


class MoneySchema(Schema):
    """:class:`Money` in a request or response body. Amounts are whole minor units, never
    negative, and fit the 32-bit integer columns services keep them in; a service with a
    tighter rule of its own (a price ceiling) says so on its own field."""

    amount = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=0, max=INT32_MAX),
                            metadata={"description": "In minor units (fen)"})
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"),
                             metadata={"description": "ISO 4217", "example": "CNY"})
