"""Logistics rules without I/O: ETAs, statuses, pickup codes, carriers, callback signatures."""

import hashlib
import hmac
from datetime import UTC, date, datetime

import pytest

from logistics.carriers import demo_secret, sign, verify
from logistics.domain import (
    CALLBACK_CARRIERS,
    TRACKING,
    CallbackRefused,
    Carrier,
    CarrierNotAllowed,
    OrderDetailsMissing,
    UnknownCarrier,
    accepts_tracking,
    can_ship,
    check_carrier,
    estimated_delivery,
    new_pickup_code,
    pickup_code_matches,
    valid_tracking_number,
)
from logistics.settings import LogisticsSettings
from service_runtime.settings import InvalidSettings

NOON = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # 12:00 in China


@pytest.mark.parametrize(("method", "expected"), [
    ("standard", date(2026, 11, 25)), ("express", date(2026, 11, 23)),
    ("pickup", date(2026, 11, 24)),
])
def test_the_eta_counts_days_by_delivery_method(method, expected):
    assert estimated_delivery(method, NOON) == expected


def test_the_eta_counts_from_the_day_in_china_and_is_configurable():
    late_utc = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # already the 23rd, 01:00 in China
    assert estimated_delivery("express", late_utc) == date(2026, 11, 24)
    assert estimated_delivery("standard", NOON, {"standard": 5}) == date(2026, 11, 27)
    with pytest.raises(ValueError):
        estimated_delivery("express", datetime(2026, 11, 22, 4, 0))


def test_only_a_ready_shipment_ships():
    # Only a ready one cancels too: a conditional UPDATE in orders.cancel_order, tested
    # with the cancellation events (test_logistics_events).
    assert can_ship("ready")
    for status in ("shipped", "in_transit", "out_for_delivery", "delivered", "cancelled"):
        assert not can_ship(status)


def test_carrier_events_apply_only_once_shipped():
    assert [s for s in ("ready", "cancelled", "shipped", "in_transit", "out_for_delivery",
                        "delivered") if accepts_tracking(s)] == [
        "shipped", "in_transit", "out_for_delivery", "delivered"]


def test_tracking_statuses_only_move_forward():
    assert TRACKING.before("in_transit") == ("shipped",)
    assert TRACKING.before("out_for_delivery") == ("shipped", "in_transit")
    assert TRACKING.before("delivered") == ("shipped", "in_transit", "out_for_delivery")


def test_pickup_codes_are_six_random_digits():
    codes = [new_pickup_code() for _ in range(200)]
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(set(codes)) > 190, "drawn from a million values, repeats are rare"
    assert pickup_code_matches("012345", "012345")
    assert not pickup_code_matches("012345", "012346")
    assert not pickup_code_matches(None, "012345")


def test_pickup_orders_go_by_store_and_others_by_a_carrier():
    check_carrier("store", "pickup")
    check_carrier("sf", "express")
    with pytest.raises(CarrierNotAllowed):
        check_carrier("sf", "pickup")
    with pytest.raises(CarrierNotAllowed):
        check_carrier("store", "standard")
    with pytest.raises(OrderDetailsMissing):
        check_carrier("sf", None)


def test_carriers_and_tracking_numbers():
    assert tuple(Carrier) == ("sf", "zto", "yto", "jd", "ems", "store")
    assert "store" not in CALLBACK_CARRIERS
    assert valid_tracking_number("SF1234567890123")
    assert not valid_tracking_number("SF 123") and not valid_tracking_number("x" * 41)


# -- signatures ----------------------------------------------------------------------


def test_sign_is_hex_hmac_sha256_of_timestamp_dot_body():
    body = b'{"tracking_number":"SF1","events":[]}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, body) == expected
    assert sign("k", "1700000000", body.decode()) == expected
    assert sign("other", 1700000000, body) != expected


def check(signature, timestamp="1700000000", body=b"{}", now=1700000000.0, carrier="sf",
          secrets=None, max_age_s=900):
    verify(carrier, secrets or {"sf": "s3cret"}, timestamp, signature, body, now, max_age_s)


def test_a_fresh_correctly_signed_callback_passes():
    check(sign("s3cret", 1700000000, b"{}"))
    check(sign("s3cret", 1700000000, b"{}").upper())
    check(sign("s3cret", 1700000000, b"{}"), now=1700000000 + 900)


@pytest.mark.parametrize(("kwargs", "why"), [
    ({"signature": None}, "unsigned"),
    ({"timestamp": None}, "no timestamp"),
    ({"signature": sign("wrong", 1700000000, b"{}")}, "another secret"),
    ({"body": b'{"x":1}'}, "body changed after signing"),
    ({"timestamp": "1700000001"}, "timestamp changed after signing"),
    ({"now": 1700000000 + 901}, "too old"),
    ({"now": 1700000000 - 3600}, "from the future"),
    ({"signature": "zz"}, "malformed"),
    ({"timestamp": "-5"}, "malformed timestamp"),
    ({"secrets": {"zto": "x"}}, "no secret configured for the carrier"),
])
def test_refused_callbacks(kwargs, why):
    arguments = {"signature": sign("s3cret", 1700000000, b"{}"), **kwargs}
    with pytest.raises(CallbackRefused):
        check(**arguments)


@pytest.mark.parametrize("carrier", ["store", "dhl", ""])
def test_a_carrier_that_sends_no_callbacks_is_unknown(carrier):
    with pytest.raises(UnknownCarrier):
        check(sign("s3cret", 1700000000, b"{}"), carrier=carrier, secrets={carrier: "s3cret"})


def test_secrets_default_to_the_documented_demo_ones(monkeypatch):
    monkeypatch.delenv("CARRIER_SECRETS", raising=False)
    assert LogisticsSettings.from_env().secrets == {
        c: f"sandbox-secret-{c}" for c in CALLBACK_CARRIERS}
    assert demo_secret("sf") == "sandbox-secret-sf"
    monkeypatch.setenv("CARRIER_SECRETS", '{"sf": "real"}')
    assert LogisticsSettings.from_env().secrets == {"sf": "real"}, \
        "set secrets replace the demo ones entirely"
    monkeypatch.setenv("CARRIER_SECRETS", '["sf"]')
    with pytest.raises(ValueError):
        LogisticsSettings.from_env()
    monkeypatch.setenv("CARRIER_SECRETS", '{"sf": "real"}')
    monkeypatch.setenv("CARRIER_CALLBACK_MAX_AGE_S", "60")
    assert LogisticsSettings.from_env().callback_max_age_s == 60


def test_a_bad_secret_is_named_but_never_shown(monkeypatch):
    monkeypatch.setenv("CARRIER_SECRETS", '{"sf": ""} s3cret-value')
    with pytest.raises(InvalidSettings) as refused:
        LogisticsSettings.from_env()
    assert "CARRIER_SECRETS: <hidden> is not valid: Not valid JSON." in str(refused.value)
    assert "s3cret-value" not in str(refused.value)
    monkeypatch.setenv("CARRIER_SECRETS", '{"sf": ""}')
    with pytest.raises(InvalidSettings, match="carrier -> non-empty secret"):
        LogisticsSettings.from_env()
