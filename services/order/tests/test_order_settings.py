"""The order service's settings: read from the environment once, where the API and the
worker are built."""

import pytest

from order.settings import OrderSettings
from service_runtime.config import local_api_url
from service_runtime.settings import InvalidSettings

VARIABLES = {
    "ORDER_PAYMENT_TIMEOUT_S": "600",
    "ORDER_AUTO_COMPLETE_AFTER_S": "86400",
    "ORDER_TIMER_INTERVAL_MS": "250",
    "ORDER_READ_TIMEOUT_MS": "1500",
    "CART_SERVICE_URL": "http://cart-api:8103",
    "USER_SERVICE_URL": "http://user-api:8101",
}


def test_every_variable_is_read_and_unset_ones_keep_their_defaults(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # Unset, the cart and the address book are the services on this machine.
    assert OrderSettings.from_env() == OrderSettings(
        cart_service_url=local_api_url("cart"), user_service_url=local_api_url("user"))
    assert OrderSettings().payment_timeout_s == 30 * 60
    assert OrderSettings().auto_complete_after_s == 7 * 24 * 3600

    for name, value in VARIABLES.items():
        monkeypatch.setenv(name, value)
    assert OrderSettings.from_env() == OrderSettings(
        payment_timeout_s=600, auto_complete_after_s=86400, timer_interval_ms=250,
        read_timeout_ms=1500, cart_service_url="http://cart-api:8103",
        user_service_url="http://user-api:8101")


def test_the_api_reads_its_settings_as_it_is_built(new_database, monkeypatch):
    from order.app import create_app

    for name, value in VARIABLES.items():
        monkeypatch.setenv(name, value)
    app = create_app(database=new_database("settings"))
    try:
        monkeypatch.setenv("ORDER_PAYMENT_TIMEOUT_S", "1")  # too late: read once
        assert app.extensions["settings"].payment_timeout_s == 600
        assert app.extensions["settings"].cart_service_url == "http://cart-api:8103"
    finally:
        app.extensions["db"].dispose()


@pytest.mark.parametrize("value", ["soon", "0"])
def test_a_bad_payment_timeout_stops_the_api_naming_the_variable(new_database, monkeypatch,
                                                                 value):
    from order.app import create_app

    monkeypatch.setenv("ORDER_PAYMENT_TIMEOUT_S", value)
    with pytest.raises(InvalidSettings) as raised:
        create_app(database=new_database("settings"))
    assert set(raised.value.problems) == {"ORDER_PAYMENT_TIMEOUT_S"}
    assert repr(value) in str(raised.value)
