"""Integers from paths and query strings, bounded by what the database can hold.

An id column is PostgreSQL ``INTEGER`` (32-bit) unless a model says otherwise; a
number beyond it cannot name a row, and handing it to the driver raises
``OverflowError`` (a 500). The rule clients see:

- an integer in the **path** outside ``1..2**31-1`` matches no route, so it answers
  404 ``not-found`` like any id that names nothing;
- an integer in the **query** outside its bounds answers 422 ``validation-error``
  naming the field (:class:`QueryInteger`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import fields, validate

if TYPE_CHECKING:
    from flask import Flask

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def install_converters(app: Flask) -> None:
    """``<int:...>`` in ``app``'s routes limited to ``1..2**31-1`` unless a rule gives
    ``min``/``max``."""
    # Imported here: workers use this module's bounds (through service_runtime.money)
    # and route nothing, so they need not load werkzeug's routing.
    from werkzeug.routing import IntegerConverter, Map

    class DatabaseIntegerConverter(IntegerConverter):
        def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1,
                     max: int | None = INT32_MAX, signed: bool = False) -> None:
            super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    app.url_map.converters["int"] = DatabaseIntegerConverter


class QueryInteger(fields.Integer):
    """An integer query parameter between ``minimum`` and ``maximum`` (default 32-bit)."""

    def __init__(self, *, minimum: int = 0, maximum: int = INT32_MAX, **kwargs: Any) -> None:
        if not -INT64_MAX - 1 <= minimum <= maximum <= INT64_MAX:
            raise ValueError("a query integer must fit a 64-bit column")
        range_check = validate.Range(min=minimum, max=maximum)
        extra = kwargs.pop("validate", None)
        checks = [range_check, *(extra if isinstance(extra, list) else [extra] if extra else [])]
        super().__init__(strict=False, validate=checks, **kwargs)
