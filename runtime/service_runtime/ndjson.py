"""NDJSON request bodies: files of one JSON document a line, uploaded by an operator or
another platform (a tag file, a product import).

A file is taken whole or not at all: every line is read and validated before anything is
written, and the answer to a bad file names each bad line by its number.
"""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError

from service_runtime.errors import InvalidInput, field_errors

MEDIA_TYPE = "application/x-ndjson"


def parse_lines(text: str, schema: Schema, max_lines: int, what: str) -> list[dict[str, Any]]:
    """The file's non-blank lines, each loaded by ``schema``; an empty file, one of more
    than ``max_lines`` lines, or any line that is no JSON or that ``schema`` refuses
    raises :class:`InvalidInput` (422), each error in location ``body`` under its line's
    number as field (``0`` for the file as a whole, ``3.name`` for a line's field).
    ``what`` names the file in the message."""
    parsed: list[dict[str, Any]] = []
    errors: dict[str, Any] = {}
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not numbered:
        errors["0"] = ["An empty file."]
    if len(numbered) > max_lines:
        errors["0"] = [f"At most {max_lines} lines a file."]
    for number, line in numbered[:max_lines]:
        try:
            parsed.append(schema.load(json.loads(line)))
        except ValidationError as error:
            errors[str(number)] = error.messages
        except ValueError:
            errors[str(number)] = ["Not JSON."]
    if errors:
        raise InvalidInput(f"the {what} has bad lines (by line number)",
                           errors=field_errors({"body": errors}))
    return parsed


def request_body(line_schema: type[Schema] | Schema, max_lines: int) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of such a file. OpenAPI has no word for a stream of
    documents, so the file is described as the array of its lines (a client's tooling
    then writes one item a line)."""
    return {"required": True, "content": {MEDIA_TYPE: {
        "schema": {"type": "array", "items": line_schema, "minItems": 1,
                   "maxItems": max_lines}}}}
