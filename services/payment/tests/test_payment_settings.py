"""The payment service's settings: read from the environment once, where the API and the
worker are built; a bad value stops the process naming its variable."""

import pytest

from payment.definition import DEFINITION
from payment.settings import PaymentSettings
from service_runtime.config import local_api_url
from service_runtime.settings import InvalidSettings


def test_unset_urls_are_the_gateway_here_and_set_ones_lose_a_trailing_slash(monkeypatch):
    for name in ("PAYMENT_PUBLIC_URL", "PAYMENT_NOTIFY_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = PaymentSettings.from_env()
    assert settings.public_url == settings.notify_url == local_api_url("api_gateway")
    assert settings.sandbox is True

    monkeypatch.setenv("PAYMENT_PUBLIC_URL", "https://shop.example/")
    monkeypatch.setenv("PAYMENT_SANDBOX", "off")
    settings = PaymentSettings.from_env()
    assert (settings.public_url, settings.sandbox) == ("https://shop.example", False)


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_bad_sandbox_switch_stops_the_api_naming_the_variable(new_database, monkeypatch,
                                                                value):
    from payment.app import create_app

    monkeypatch.setenv("PAYMENT_SANDBOX", value)
    with pytest.raises(InvalidSettings) as raised:
        create_app(database=new_database("settings"))
    assert set(raised.value.problems) == {"PAYMENT_SANDBOX"}
    assert repr(value) in str(raised.value)


def test_the_worker_runs_the_sandbox_notifier_only_while_the_sandbox_is_on():
    def jobs(settings: PaymentSettings) -> list[str]:
        return [loop.__self__.name for loop in DEFINITION.loops_for(settings)]

    assert jobs(PaymentSettings(sandbox=True)) == ["sandbox-notifications", "refund-submission"]
    assert jobs(PaymentSettings(sandbox=False)) == ["refund-submission"]
