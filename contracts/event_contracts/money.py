"""An amount of money in an HTTP body between services and clients (not in events: those
have ``event_contracts.common.MoneySchema``). ``service_runtime.money`` re-exports it, so
every service's OpenAPI document has one ``Money`` component, the quote's parts included."""

from marshmallow import Schema, fields, validate

INT32_MAX = 2**31 - 1  # what the services' 32-bit integer columns hold


class MoneySchema(Schema):
    """An amount in a request or response body. Amounts are whole minor units, never
    negative, and fit the 32-bit integer columns services keep them in; a service with a
    tighter rule of its own (a price ceiling) says so on its own field."""

    amount = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=0, max=INT32_MAX),
                            metadata={"description": "In minor units (fen)"})
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"),
                             metadata={"description": "ISO 4217", "example": "CNY"})
