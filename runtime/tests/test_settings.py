"""Typed settings: one parser per type, every bad variable named with its value at start-up,
and read once by the process's factory, which passes them down."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from flask import Flask

from service_runtime import auth
from service_runtime.app import create_service_api, current_settings
from service_runtime.auth import AuthSettings
from service_runtime.cli import build_cli
from service_runtime.config import DeliverySettings, KafkaSettings, LogSettings
from service_runtime.consumer import Handlers
from service_runtime.db import Database
from service_runtime.service import ServiceDefinition
from service_runtime.settings import (
    HIDDEN,
    InvalidSettings,
    Settings,
    at_least,
    ip_networks,
    variable,
)
from service_runtime.worker import WorkerProcess, build_consumer


@dataclass(frozen=True)
class ShopSettings(Settings):
    open_on_sundays: bool = variable("SHOP_OPEN_ON_SUNDAYS", False)
    shelves: int = variable("SHOP_SHELVES", 3, validate=at_least(1))
    opening_hours: Mapping[str, str] = variable("SHOP_OPENING_HOURS", {"mon": "9-18"})
    languages: tuple[str, ...] = variable("SHOP_LANGUAGES", ("zh",))
    till_password: str = variable("SHOP_TILL_PASSWORD", "", secret=True)
    tills: tuple[str, ...] = variable("SHOP_TILL_NETWORKS", ("10.0.0.0/8",),
                                      validate=ip_networks)


def refused(settings: type[Settings]) -> InvalidSettings:
    with pytest.raises(InvalidSettings) as error:
        settings.from_env()
    return error.value


def test_an_int_that_is_not_one_names_the_variable_and_the_value(monkeypatch):
    monkeypatch.setenv("KAFKA_MAX_POLL_RECORDS", "five")
    error = refused(KafkaSettings)
    assert "KAFKA_MAX_POLL_RECORDS: 'five' is not valid: Not a valid integer." in str(error)
    assert list(error.problems) == ["KAFKA_MAX_POLL_RECORDS"]


def test_networks_are_checked_one_by_one(monkeypatch):
    monkeypatch.setenv("SHOP_TILL_NETWORKS", "192.168.0.0/16,::1,10.0.0.300/32")
    error = refused(ShopSettings)
    assert list(error.problems) == ["SHOP_TILL_NETWORKS"]
    assert "10.0.0.300/32" in error.problems["SHOP_TILL_NETWORKS"]
    monkeypatch.setenv("SHOP_TILL_NETWORKS", "192.168.0.0/16,::1")
    assert ShopSettings.from_env().tills == ("192.168.0.0/16", "::1")


def test_an_int_out_of_its_range_is_refused(monkeypatch):
    monkeypatch.setenv("CONSUMER_MAX_ATTEMPTS", "0")
    assert "CONSUMER_MAX_ATTEMPTS: '0' is not valid: Must be greater than or equal to 1." \
        in str(refused(DeliverySettings))


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled"])
def test_a_bool_that_is_not_one_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SHOP_OPEN_ON_SUNDAYS", raw)
    error = refused(ShopSettings)
    assert error.problems == {
        "SHOP_OPEN_ON_SUNDAYS": f"{raw!r} is not valid: Not a valid boolean."}


@pytest.mark.parametrize(("raw", "parsed"), [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("on", True),
    ("false", False), ("False", False), ("0", False), ("no", False), ("off", False),
])
def test_every_bool_is_parsed_one_way(monkeypatch, raw, parsed):
    monkeypatch.setenv("SHOP_OPEN_ON_SUNDAYS", raw)
    assert ShopSettings.from_env().open_on_sundays is parsed


@pytest.mark.parametrize(("raw", "why"), [
    ('{"mon": ', "Not valid JSON."),
    ('["mon"]', "Not a JSON object."),
])
def test_json_that_is_not_the_right_shape_names_the_variable(monkeypatch, raw, why):
    monkeypatch.setenv("SHOP_OPENING_HOURS", raw)
    assert refused(ShopSettings).problems == {"SHOP_OPENING_HOURS": f"{raw!r} is not valid: {why}"}


def test_a_secret_is_named_but_its_value_never_shown(monkeypatch):
    monkeypatch.setenv("KAFKA_CLIENT_OPTIONS", '{"sasl_plain_password": "hunter2"')
    error = refused(KafkaSettings)
    assert str(error) == f"invalid settings:\n  KAFKA_CLIENT_OPTIONS: {HIDDEN} is not valid: " \
                         "Not valid JSON."
    assert "hunter2" not in str(error)


def test_every_bad_variable_is_reported_at_once(monkeypatch):
    monkeypatch.setenv("SHOP_SHELVES", "many")
    monkeypatch.setenv("SHOP_OPEN_ON_SUNDAYS", "sometimes")
    assert set(refused(ShopSettings).problems) == {"SHOP_SHELVES", "SHOP_OPEN_ON_SUNDAYS"}


def test_unset_or_empty_takes_the_default_and_set_values_are_typed(monkeypatch):
    monkeypatch.setenv("SHOP_SHELVES", "")
    assert ShopSettings.from_env() == ShopSettings()
    assert ShopSettings().opening_hours == {"mon": "9-18"}
    monkeypatch.setenv("SHOP_SHELVES", "12")
    monkeypatch.setenv("SHOP_OPENING_HOURS", '{"sun": "10-16"}')
    monkeypatch.setenv("SHOP_LANGUAGES", "zh, en")
    settings = ShopSettings.from_env()
    assert (settings.shelves, settings.opening_hours, settings.languages) == (
        12, {"sun": "10-16"}, ("zh", "en"))


def test_a_log_level_is_checked(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    assert "LOG_LEVEL: 'LOUD' is not valid" in str(refused(LogSettings))
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert LogSettings.from_env().level == "debug"


# -- read once at start-up, passed down ----------------------------------------------------

built_with: list[ShopSettings] = []


def shop_handlers(settings: ShopSettings) -> Handlers:
    built_with.append(settings)
    return Handlers()


SHOP = ServiceDefinition(name="shop", app="unused:create_app()", api_port=8199,
                         worker_port=9199, settings=ShopSettings, handlers=shop_handlers)


def shop_app(database: Path, settings: ShopSettings | None = None) -> Flask:
    return create_service_api(SHOP, database=f"sqlite:///{database}", settings=settings)


def test_the_app_reads_its_settings_once_when_built(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOP_SHELVES", "7")
    app = shop_app(tmp_path / "shop.db")
    monkeypatch.setenv("SHOP_SHELVES", "8")
    with app.test_request_context():
        assert current_settings() == ShopSettings(shelves=7)
    app.extensions["db"].dispose()


def test_an_app_given_settings_reads_none(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOP_SHELVES", "not a number")
    app = shop_app(tmp_path / "shop.db", ShopSettings(shelves=2))
    with app.test_request_context():
        assert current_settings().shelves == 2
    app.extensions["db"].dispose()


def test_the_worker_reads_its_settings_once_and_builds_its_handlers_with_them(monkeypatch):
    monkeypatch.setenv("SHOP_OPEN_ON_SUNDAYS", "yes")
    monkeypatch.setenv("KAFKA_MAX_POLL_RECORDS", "7")
    monkeypatch.setenv("CONSUMER_GROUP", "shop-blue")
    settings = WorkerProcess.from_env(SHOP)
    monkeypatch.setenv("SHOP_OPEN_ON_SUNDAYS", "no")
    built_with.clear()
    consumer = build_consumer(SHOP, Database("sqlite://"), settings)
    assert built_with == [ShopSettings(open_on_sundays=True)]
    assert consumer.group == "shop-blue"
    assert consumer.kafka.max_poll_records == 7


def test_a_worker_with_bad_settings_names_every_bad_variable(monkeypatch):
    monkeypatch.setenv("KAFKA_MAX_POLL_RECORDS", "five")
    monkeypatch.setenv("SHOP_SHELVES", "lots")
    with pytest.raises(InvalidSettings) as error:
        WorkerProcess.from_env(SHOP)
    assert set(error.value.problems) == {"KAFKA_MAX_POLL_RECORDS", "SHOP_SHELVES"}


@pytest.mark.parametrize(("command", "variable", "value"), [
    ("worker", "KAFKA_MAX_POLL_RECORDS", "five"),
    ("api", "WEB_CONCURRENCY", "two"),
    ("api", "SHOP_OPEN_ON_SUNDAYS", "perhaps"),
    ("migrate", "LOG_LEVEL", "LOUD"),
])
def test_a_process_with_a_bad_setting_stops_at_start_up_naming_it(command, variable, value):
    result = CliRunner().invoke(build_cli(SHOP), [command], env={variable: value})
    assert result.exit_code == 2
    assert f"{variable}: '{value}' is not valid" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- laptop defaults come from the services' definitions -------------------------------


def test_the_jwks_url_defaults_to_the_user_service_port_of_its_definition(monkeypatch):
    user = ServiceDefinition(name="user", app="user.app:create_app()", api_port=8177,
                             worker_port=9177)
    monkeypatch.setitem(sys.modules, "user.definition", SimpleNamespace(DEFINITION=user))
    monkeypatch.delenv("AUTH_JWKS_URL", raising=False)
    assert AuthSettings.from_env().jwks_url == "http://127.0.0.1:8177/api/v1/auth/jwks.json"
    monkeypatch.setenv("AUTH_JWKS_URL", "http://user-api:8101/api/v1/auth/jwks.json")
    assert AuthSettings.from_env().jwks_url == "http://user-api:8101/api/v1/auth/jwks.json"


def test_without_the_user_service_installed_the_jwks_url_must_be_set(monkeypatch):
    def not_installed(service: str) -> str:
        raise ModuleNotFoundError(f"No module named '{service}'")

    monkeypatch.delenv("AUTH_JWKS_URL", raising=False)
    monkeypatch.setattr(auth, "local_api_url", not_installed)
    assert refused(AuthSettings).problems == {
        "AUTH_JWKS_URL": "'' is not valid: not set, and the user service is not installed "
                         "here to take its port from"}
