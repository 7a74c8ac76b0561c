"""Example payloads are real: they validate, and every event type and version has one."""

import json
from pathlib import Path

import pytest

import event_contracts.events
from event_contracts import REGISTRY, ContractViolation, UnknownEvent
from event_contracts.envelope import EnvelopeSchema
from event_contracts.registry import platform_schemas

EXAMPLES = Path(event_contracts.events.__file__).parent.parent / "examples"


def load(name):
    return json.loads((EXAMPLES / f"{name}.json").read_text())


@pytest.mark.parametrize(("key", "schema"), platform_schemas(), ids=lambda v: str(v))
def test_every_event_version_has_a_valid_example(key, schema):
    event_type, version = key
    example = load(f"{event_type}.v{version}")
    envelope = EnvelopeSchema().load(example)
    assert (envelope["type"], envelope["version"]) == key
    REGISTRY.validate_outgoing(event_type, version, example["data"])


def test_consumers_tolerate_unknown_fields_producers_do_not():
    data = load("OrderPlaced.v1")["data"]
    data["gift_wrap"] = True
    data["lines"][0]["engraving"] = "for mum"
    parsed = REGISTRY.parse_incoming("OrderPlaced", 1, data)
    assert "gift_wrap" not in parsed
    assert parsed["lines"][0]["sku"] == "KETTLE-MI-1.7L-WHITE"
    with pytest.raises(ContractViolation) as err:
        REGISTRY.validate_outgoing("OrderPlaced", 1, data)
    assert "gift_wrap" in err.value.errors


def test_money_is_integer_minor_units_never_float():
    data = load("PaymentConfirmed.v1")["data"]
    data["amount"] = {"amount": 149.0, "currency": "CNY"}
    with pytest.raises(ContractViolation) as err:
        REGISTRY.validate_outgoing("PaymentConfirmed", 1, data)
    assert "amount" in err.value.errors


def test_missing_required_field_is_a_violation():
    data = load("Shipped.v1")["data"]
    del data["tracking_number"]
    with pytest.raises(ContractViolation) as err:
        REGISTRY.parse_incoming("Shipped", 1, data)
    assert "tracking_number" in err.value.errors


def test_unknown_version_is_reported():
    with pytest.raises(UnknownEvent):
        REGISTRY.schema("OrderPlaced", 99)
