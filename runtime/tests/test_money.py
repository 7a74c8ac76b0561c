"""The one Money schema every service's requests and responses use."""

import pytest
from marshmallow import ValidationError

from service_runtime.bounds import INT32_MAX
from service_runtime.money import Money, MoneySchema


def test_money_dumps_as_amount_and_currency():
    assert MoneySchema().dump(Money(14900, "CNY")) == {"amount": 14900, "currency": "CNY"}


@pytest.mark.parametrize("body", [
    {"amount": 0, "currency": "CNY"},
    {"amount": INT32_MAX, "currency": "USD"},
])
def test_money_within_bounds_loads(body):
    assert MoneySchema().load(body) == body


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": -1, "currency": "CNY"}, "amount"),
    ({"amount": INT32_MAX + 1, "currency": "CNY"}, "amount"),
    ({"amount": "100", "currency": "CNY"}, "amount"),  # strict: a string is no amount
    ({"amount": 1.5, "currency": "CNY"}, "amount"),
    ({"amount": 100, "currency": "cny"}, "currency"),
    ({"amount": 100, "currency": "YUAN"}, "currency"),
    ({"currency": "CNY"}, "amount"),
    ({"amount": 100}, "currency"),
])
def test_money_out_of_bounds_or_malformed_is_refused_naming_the_field(body, field):
    with pytest.raises(ValidationError) as refused:
        MoneySchema().load(body)
    assert list(refused.value.messages) == [field]


def test_money_json_is_what_event_payloads_carry():
    from service_runtime.money import money_json

    assert money_json(14900, "CNY") == {"amount": 14900, "currency": "CNY"}
