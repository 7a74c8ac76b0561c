"""The cart service's settings: read from the environment once, where the API is built."""

import pytest

from cart.definition import DEFINITION
from cart.marketing_client import MarketingClient
from cart.settings import CartSettings
from service_runtime.config import LAPTOP_DEFAULTS, Process
from service_runtime.settings import InvalidSettings

VARIABLES = {
    "MARKETING_SERVICE_URL": "http://marketing-api:8108",
    "CART_MARKETING_TIMEOUT_MS": "250",
    "CART_MARKETING_POOL_SIZE": "4",
}


def test_every_variable_is_read_and_unset_ones_keep_their_defaults(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert CartSettings.from_env() == CartSettings(
        marketing_service_url="http://127.0.0.1:8108", marketing_timeout_ms=800,
        marketing_pool_size=16)
    for name, value in VARIABLES.items():
        monkeypatch.setenv(name, value)
    settings = CartSettings.from_env()
    assert settings == CartSettings(marketing_service_url="http://marketing-api:8108",
                                    marketing_timeout_ms=250, marketing_pool_size=4)
    client = MarketingClient.from_settings(settings)
    assert (client.base_url, client.timeout_s) == ("http://marketing-api:8108", 0.25)
    assert client.session.adapters["http://"]._pool_maxsize == 4
    assert client.session.trust_env is False


def test_a_bad_value_stops_the_process_naming_the_variable(monkeypatch):
    monkeypatch.setenv("CART_MARKETING_TIMEOUT_MS", "0")
    with pytest.raises(InvalidSettings) as raised:
        CartSettings.from_env()
    assert set(raised.value.problems) == {"CART_MARKETING_TIMEOUT_MS"}


def test_the_marketing_url_is_a_laptop_default_the_api_must_be_given_elsewhere():
    assert DEFINITION.settings is CartSettings
    entry = LAPTOP_DEFAULTS["MARKETING_SERVICE_URL"]
    assert ("cart", Process.API) in entry.read_by
