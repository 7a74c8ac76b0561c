"""Backward compatibility of event schemas, checked against committed snapshots.

A snapshot is a JSON description of a schema as it was released. A changed schema
stays compatible when

* an existing consumer (built from the snapshot) can read what the new producer
  emits: no field it relies on disappears, changes type, or becomes optional
  or nullable; and
* a new consumer can read events stored or replayed from before the change:
  no new field is required.

Anything else needs a new version. Run ``python -m event_contracts.compat`` to write the
snapshot of a new schema version; existing snapshots are never rewritten.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields

import event_contracts.events  # noqa: F401  (registers every schema)
from event_contracts.envelope import EnvelopeSchema
from event_contracts.registry import platform_schemas

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"
ENVELOPE_SNAPSHOT = "Envelope"


def describe_schema(schema: Schema | type[Schema]) -> dict[str, Any]:
    instance = schema() if isinstance(schema, type) else schema
    return {name: describe_field(field) for name, field in sorted(instance.fields.items())}


def describe_field(field: fields.Field) -> dict[str, Any]:
    description: dict[str, Any] = {
        "type": type(field).__name__,
        "required": bool(field.required),
        "allow_none": bool(field.allow_none),
    }
    if isinstance(field, fields.Nested):
        description["fields"] = describe_schema(field.schema)
        description["many"] = bool(field.many)
    if isinstance(field, fields.List):
        description["items"] = describe_field(field.inner)
    return description


def incompatibilities(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """Why a schema described by ``new`` would break consumers of ``old`` ([] if it would not)."""
    problems: list[str] = []
    for name, old_field in old.items():
        where = f"{path}{name}"
        if name not in new:
            problems.append(f"{where}: removed")
            continue
        problems.extend(field_incompatibilities(old_field, new[name], where))
    for name, new_field in new.items():
        if name not in old and new_field["required"]:
            problems.append(f"{path}{name}: new field is required")
    return problems


def field_incompatibilities(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    if old["type"] != new["type"]:
        return [f"{where}: type changed from {old['type']} to {new['type']}"]
    if old["required"] and not new["required"]:
        problems.append(f"{where}: was required, now optional")
    if new["allow_none"] and not old["allow_none"]:
        problems.append(f"{where}: may now be null")
    if old.get("many") != new.get("many"):
        problems.append(f"{where}: changed between one and many")
    if "fields" in old:
        problems.extend(incompatibilities(old["fields"], new.get("fields", {}), f"{where}."))
    if "items" in old:
        problems.extend(field_incompatibilities(old["items"], new["items"], f"{where}[]"))
    return problems


def current_descriptions() -> dict[str, dict[str, Any]]:
    described = {ENVELOPE_SNAPSHOT: describe_schema(EnvelopeSchema)}
    for (event_type, version), schema in platform_schemas():
        described[f"{event_type}.v{version}"] = describe_schema(schema)
    return described


def snapshot_path(name: str) -> Path:
    return SNAPSHOT_DIR / f"{name}.json"


def write_missing_snapshots() -> list[str]:
    written = []
    for name, description in current_descriptions().items():
        path = snapshot_path(name)
        if not path.exists():
            path.write_text(json.dumps(description, indent=2, sort_keys=True) + "\n")
            written.append(name)
    return written


if __name__ == "__main__":
    names = write_missing_snapshots()
    print("wrote snapshots: " + (", ".join(names) if names else "none (all exist)"))
    sys.exit(0)
