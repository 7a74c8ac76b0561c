"""A fast first check of outgoing events: each schema, where it can be, as a compiled JSON
Schema (jsonschema-rs) that accepts only what the marshmallow schema accepts; and on the
same check, a fast load of incoming events.

Producers validate every event they write (``SchemaRegistry.validate_outgoing``). With
marshmallow that was a third of a bulk product import's CPU and 5-8 % of every worker's;
the compiled check takes a microsecond or so. It is never looser than marshmallow: an
event it accepts, marshmallow accepts; anything else (including whatever it is stricter
about) goes on to marshmallow, which decides and gives the error. So a schema is compiled
only when every part of it has an exact or stricter JSON Schema counterpart (the field
types and validators below, no hooks); any other schema is checked by marshmallow alone.

Incoming: every consumer group loads each event it gets with marshmallow (an
``OrderPlaced`` about 200 us, eight groups decode it; a fifth of the analytics worker's
profile at 20 orders a second).
When the compiled check passes, the data is exactly what the schema takes, so loading it
is copying it, with the fields that parse (dates, times) parsed by their own marshmallow
field: what marshmallow's load gives, for a few microseconds. Anything the check does not
pass (unknown fields from a newer producer, say) is loaded by marshmallow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jsonschema_rs
from marshmallow import RAISE, Schema, fields, missing, validate

OutgoingCheck = Callable[[dict], bool]
IncomingLoad = Callable[[dict], "dict | None"]
_Convert = Callable[[Any], Any]

# RFC 3339 with a time zone (what ``format: date-time`` checks), narrowed to what
# marshmallow's AwareDateTime parses: upper-case T and Z, seconds 00-59, microseconds.
_AWARE_DATETIME = (r"^\d{4}-\d{2}-\d{2}T\d{2}:[0-5]\d:[0-5]\d(\.\d{1,6})?"
                   r"(Z|[+-]\d{2}:\d{2})$")


_NOT_FLOATS = (str, int, bool, type(None))


class NotCompilable(Exception):
    """Some part of a schema has no exact JSON Schema counterpart."""


def compile_outgoing(schema: type[Schema]) -> OutgoingCheck | None:
    """A check that accepts only what ``schema(unknown=RAISE).load`` accepts, or None."""
    try:
        document = _object(schema, unknown=RAISE)
        validator = jsonschema_rs.validator_for(document, validate_formats=True)
    except Exception:  # NotCompilable, or a pattern the Rust regex engine does not take
        return None

    def check(data: dict) -> bool:
        # JSON Schema counts 1.0 as an integer; marshmallow's strict Integer does not, and
        # no compiled schema has a field that takes a float.
        try:
            return validator.is_valid(data) and not _holds_float(data)
        except (ValueError, TypeError):  # not JSON at all (a key that is not a string...)
            return False

    return check


def compile_incoming(schema: type[Schema]) -> IncomingLoad | None:
    """A load that gives what ``schema(unknown=EXCLUDE).load`` gives for data the compiled
    check passes, and None for any other data (marshmallow's to load); or None when the
    schema cannot be compiled."""
    check = compile_outgoing(schema)
    if check is None:
        return None
    try:
        convert = _object_loader(schema)
    except NotCompilable:
        return None

    def load(data: dict) -> dict | None:
        return convert(data) if check(data) else None

    return load


def _object_loader(schema: type[Schema] | Schema) -> _Convert:
    instance = schema if isinstance(schema, Schema) else schema()
    steps = []
    for name, field in instance.load_fields.items():
        if field.load_default is not missing:
            raise NotCompilable(f"{name} has a default")
        steps.append((field.data_key or name, name, _field_loader(field)))

    def load(data: dict) -> dict:
        loaded = {}
        for key, name, convert in steps:
            if key in data:
                value = data[key]
                loaded[name] = value if value is None or convert is None else convert(value)
        return loaded

    return load


def _field_loader(field: fields.Field) -> _Convert | None:
    """How a value the check passed is loaded; None: as it is (a str, an int, a bool)."""
    kind = type(field)
    if kind in (fields.String, fields.Integer, fields.Boolean):
        return None
    if kind in (fields.AwareDateTime, fields.Date):
        return field.deserialize  # marshmallow's own parsing, on a value known to parse
    if kind is fields.Nested:
        return _object_loader(field.schema)
    if kind is fields.List:
        inner = _field_loader(field.inner)
        if inner is None:
            return list
        return lambda values: [value if value is None else inner(value) for value in values]
    if kind is fields.Dict:
        value_loader = None if field.value_field is None else _field_loader(field.value_field)
        if value_loader is None:
            return dict
        return lambda mapping: {key: value if value is None else value_loader(value)
                                for key, value in mapping.items()}
    raise NotCompilable(f"{kind.__name__} field")


def _holds_float(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        elif kind not in _NOT_FLOATS and isinstance(item, float | dict | list | tuple):
            return True  # a float, or a container of a kind JSON has not: marshmallow's
    return False


def _object(schema: type[Schema] | Schema, unknown: str | None = None) -> dict:
    instance = schema if isinstance(schema, Schema) else schema()
    if any(instance._hooks.values()):
        raise NotCompilable(f"{type(instance).__name__} has hooks")
    properties, required = {}, []
    for name, field in instance.load_fields.items():
        key = field.data_key or name
        properties[key] = _field(field)
        if field.required:
            required.append(key)
    document: dict[str, Any] = {"type": "object", "properties": properties,
                                "required": required}
    if (unknown or instance.unknown) == RAISE:
        document["additionalProperties"] = False
    return document


def _field(field: fields.Field) -> dict:
    # Exact types only: a subclass (AwareDateTime of DateTime, say) may parse differently.
    kind = type(field)
    if kind is fields.String:
        document: dict[str, Any] = {"type": "string"}
    elif kind is fields.Integer:
        document = {"type": "integer"}
    elif kind is fields.Boolean:
        document = {"type": "boolean"}  # marshmallow also takes "yes", 1...: stricter
    elif kind is fields.AwareDateTime and field.format in (None, "iso"):
        document = {"type": "string", "format": "date-time", "pattern": _AWARE_DATETIME}
    elif kind is fields.Nested and not (field.only or field.exclude or field.many):
        document = _object(field.schema)
    elif kind is fields.Date and field.format in (None, "iso"):
        document = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    elif kind is fields.List:
        document = {"type": "array", "items": _field(field.inner)}
    elif kind is fields.Dict and (field.key_field is None or (
            type(field.key_field) is fields.String and not field.key_field.validators
            and not field.key_field.allow_none)):
        # JSON object keys are strings; a Python dict with other keys fails the check
        # (and so goes to marshmallow).
        document = {"type": "object"}
        if field.value_field is not None:
            document["additionalProperties"] = _field(field.value_field)
    else:
        raise NotCompilable(f"{kind.__name__} field")
    for validator in field.validators:
        bounds = _validator(validator, document["type"])
        if bounds.keys() & document.keys():  # two of a kind: keep it simple, not compiled
            raise NotCompilable(f"two {type(validator).__name__} validators")
        document.update(bounds)
    if field.allow_none:
        return {"anyOf": [document, {"type": "null"}]}
    return document


def _validator(validator: Any, kind: str) -> dict:
    if type(validator) is validate.Length and kind in ("string", "array"):
        prefix = "Length" if kind == "string" else "Items"
        low, high = ((validator.equal, validator.equal) if validator.equal is not None
                     else (validator.min, validator.max))
        bounds = {f"min{prefix}": low, f"max{prefix}": high}
        return {key: value for key, value in bounds.items() if value is not None}
    if type(validator) is validate.Range and kind == "integer":
        bounds: dict[str, Any] = {}
        if validator.min is not None:
            bounds["minimum" if validator.min_inclusive else "exclusiveMinimum"] = validator.min
        if validator.max is not None:
            bounds["maximum" if validator.max_inclusive else "exclusiveMaximum"] = validator.max
        return bounds
    if type(validator) is validate.OneOf and kind in ("string", "integer"):
        return {"enum": list(validator.choices)}
    if (type(validator) is validate.Regexp and kind == "string"
            and validator.regex.flags & ~re.UNICODE == 0):
        # re.match anchors at the start only; "$" before a final newline matches in Python
        # but not here, which is stricter.
        return {"pattern": f"^(?:{validator.regex.pattern})"}
    raise NotCompilable(f"{type(validator).__name__} validator")
