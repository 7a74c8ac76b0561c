"""The one JSON loader for request bodies: limits Python's ``json`` does not have.

Python's parser recurses once per nesting level (about 1,000 levels raise
``RecursionError``), converts integer literals of any length (more than 4,300 digits
raise ``ValueError``), accepts ``NaN``/``Infinity`` and lone surrogate escapes such as
``"\\ud800"`` (which no database or UTF-8 encoder takes later). Each of those surfaced
as a 500 somewhere after parsing. Here each is refused before any route sees the data,
as a 400 ``malformed-request`` problem that says why.

Both request paths use it: the webargs parser of :mod:`service_runtime.blueprint`
and Flask's ``request.get_json`` (through :class:`SafeJSONProvider`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

from service_runtime.errors import Problem

MAX_DEPTH = 64
# Far beyond any amount or id (a 64-bit integer has 20 digits), far below Python's limit.
MAX_INTEGER_DIGITS = 40
_SURROGATE = re.compile("[\ud800-\udfff]")


class MalformedJson(Problem):
    status, slug, title = 400, "malformed-request", "The request body is not acceptable JSON"


def loads(data: str | bytes | bytearray) -> Any:
    """Parse a request body, or raise :class:`MalformedJson` naming the reason."""
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJson(f"the body is not UTF-8: {exc.reason} at byte {exc.start}") \
                from None
    else:
        text = data
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                           parse_constant=_refuse_constant)
    except RecursionError:
        raise MalformedJson(f"the body nests deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(f"the body is not valid JSON: {exc.msg} at line {exc.lineno} "
                            f"column {exc.colno}") from None
    _check_values(value)
    return value


def _parse_int(literal: str) -> int:
    # parse_int sees the literal before it becomes an int: the length is checked first.
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise MalformedJson(f"an integer in the body has more than {MAX_INTEGER_DIGITS} digits")
    return int(literal)


def _parse_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise MalformedJson(f"the number {literal[:20]} is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not a JSON number")


def _check_values(value: Any) -> None:
    """Depth and lone surrogates, walked without recursion (the value may be deep)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _check_text(node)
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise MalformedJson(f"the body nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, child in node.items():
                _check_text(key)
                stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in node)


def _check_text(text: str) -> None:
    if _SURROGATE.search(text):
        raise MalformedJson("a string in the body holds a lone surrogate (\\ud800-\\udfff), "
                            "which is not a character")


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with :func:`loads` for reading; writing is unchanged."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)
