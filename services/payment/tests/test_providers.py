"""Provider signatures: what the sandbox signs verifies with the public half, and any
tampering, another key, or no signature is refused (no database)."""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import pytest

from payment.domain import fen_to_yuan, yuan_to_fen
from payment.providers import (
    Credentials,
    InvalidSignature,
    NotificationRefused,
    SigningKeys,
    Trade,
    alipay,
    card,
    wechat,
)
from payment.providers.crypto import generate_rsa_pair

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TRADE = Trade(payment_id="pay_1", trade_no="T1", succeeded=True, amount=14900, currency="CNY",
              notify_id="ntf_1")


@pytest.fixture(scope="module")
def rsa_keys():
    return generate_rsa_pair(), generate_rsa_pair()  # ours, and a forger's


def keys_for(provider: str, pair: tuple[str, str]) -> tuple[SigningKeys, Credentials]:
    private, public = pair
    secret = {"wechat": "0123456789abcdef0123456789abcdef", "card": "whsec_test"}.get(provider)
    return (SigningKeys(private_key=private, secret=secret, serial="SER1", app_id="app1"),
            Credentials(public_key=public, secret=secret, serial="SER1", app_id="app1"))


@pytest.mark.parametrize("module", [alipay, wechat, card])
def test_a_signed_notification_verifies_and_parses(module, rsa_keys):
    signing, credentials = keys_for(module.NAME, rsa_keys[0])
    body, headers = module.build(TRADE, signing, NOW)
    notification = module.parse(body, headers, credentials)
    assert (notification.payment_id, notification.trade_no, notification.amount,
            notification.currency, notification.succeeded) == ("pay_1", "T1", 14900, "CNY", True)
    assert notification.notify_id == "ntf_1"
    assert abs((notification.sent_at - NOW).total_seconds()) < 1


@pytest.mark.parametrize("module", [alipay, wechat, card])
def test_a_failure_notification_parses_as_failed(module, rsa_keys):
    signing, credentials = keys_for(module.NAME, rsa_keys[0])
    failed = Trade(**{**TRADE.__dict__, "succeeded": False})
    body, headers = module.build(failed, signing, NOW)
    assert module.parse(body, headers, credentials).succeeded is False


@pytest.mark.parametrize("module", [alipay, wechat, card])
def test_a_tampered_body_is_refused(module, rsa_keys):
    signing, credentials = keys_for(module.NAME, rsa_keys[0])
    body, headers = module.build(TRADE, signing, NOW)
    if module is alipay:
        params = dict(parse_qsl(body.decode()))
        params["total_amount"] = "0.01"
        tampered = urlencode(params).encode()
    else:
        tampered = body.replace(b"14900", b"1").replace(b"pay_1", b"pay_2")
        if module is wechat:  # the amount is inside the ciphertext: flip one of its bytes
            document = json.loads(body)
            ciphertext = document["resource"]["ciphertext"]
            document["resource"]["ciphertext"] = ("B" if ciphertext[0] != "B" else "C") + \
                ciphertext[1:]
            tampered = json.dumps(document).encode()
    assert tampered != body
    with pytest.raises(InvalidSignature):
        module.parse(tampered, headers, credentials)


@pytest.mark.parametrize("module", [alipay, wechat, card])
def test_another_key_or_no_signature_is_refused(module, rsa_keys):
    _, credentials = keys_for(module.NAME, rsa_keys[0])
    forger, _ = keys_for(module.NAME, rsa_keys[1])
    if module is card:
        forger = SigningKeys(secret="whsec_forged")
    body, headers = module.build(TRADE, forger, NOW)
    with pytest.raises(InvalidSignature):
        module.parse(body, headers, credentials)
    unsigned_headers = {k: v for k, v in headers.items()
                        if k not in ("Wechatpay-Signature", "Card-Signature")}
    unsigned_body = body
    if module is alipay:
        params = dict(parse_qsl(body.decode()))
        params.pop("sign")
        unsigned_body = urlencode(params).encode()
    with pytest.raises(InvalidSignature):
        module.parse(unsigned_body, unsigned_headers, credentials)


def test_alipay_signs_sorted_params_without_sign_and_empty_values():
    params = {"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "empty": "", "c": "中文"}
    assert alipay.signing_content(params) == "a=1&b=2&c=中文"


def test_alipay_refuses_a_duplicated_parameter(rsa_keys):
    signing, credentials = keys_for("alipay", rsa_keys[0])
    body, headers = alipay.build(TRADE, signing, NOW)
    with pytest.raises(InvalidSignature):
        alipay.parse(body + b"&total_amount=0.01", headers, credentials)


def test_alipay_refuses_another_app_id(rsa_keys):
    signing, credentials = keys_for("alipay", rsa_keys[0])
    body, headers = alipay.build(TRADE, signing, NOW)
    with pytest.raises(NotificationRefused):
        alipay.parse(body, headers, Credentials(credentials.public_key, app_id="other"))


def test_wechat_refuses_an_unknown_certificate_serial(rsa_keys):
    signing, credentials = keys_for("wechat", rsa_keys[0])
    body, headers = wechat.build(TRADE, signing, NOW)
    with pytest.raises(InvalidSignature):
        wechat.parse(body, {**headers, "Wechatpay-Serial": "OTHER"}, credentials)


def test_wechat_resource_is_encrypted_with_the_apiv3_key(rsa_keys):
    signing, credentials = keys_for("wechat", rsa_keys[0])
    body, _ = wechat.build(TRADE, signing, NOW)
    assert b"pay_1" not in body and b"14900" not in body
    resource = json.loads(body)["resource"]
    plain = json.loads(wechat.decrypt(credentials.secret, resource["ciphertext"],
                                      resource["nonce"], resource["associated_data"]))
    assert plain["amount"] == {"total": 14900, "payer_total": 14900, "currency": "CNY",
                               "payer_currency": "CNY"}
    with pytest.raises(InvalidSignature):
        wechat.decrypt("f" * 32, resource["ciphertext"], resource["nonce"],
                       resource["associated_data"])


def test_card_signature_header_format():
    header = card.signature_header("whsec_x", 1700000000, b"{}")
    assert header.startswith("t=1700000000,v1=")
    assert card.verify(header, b"{}", "whsec_x") == 1700000000
    with pytest.raises(InvalidSignature):
        card.verify(header.replace("t=1700000000", "t=1700000001"), b"{}", "whsec_x")


@pytest.mark.parametrize(("fen", "yuan"), [(14900, "149.00"), (1, "0.01"), (0, "0.00"),
                                           (123456789, "1234567.89"), (10, "0.10")])
def test_fen_and_yuan_convert_exactly(fen, yuan):
    assert fen_to_yuan(fen) == yuan
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("bad", ["1.001", "-1.00", "1e3", "", "01.00", "1,00", " 1.00", "NaN"])
def test_malformed_yuan_is_refused(bad):
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


def test_yuan_with_one_decimal_is_read_exactly():
    assert yuan_to_fen("0.1") == 10
    assert yuan_to_fen("149") == 14900
