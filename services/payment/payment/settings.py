"""Everything the payment service reads from its environment, read once when a process
starts (the API in ``payment.app.create_app``, the worker as it builds its loops); use
cases get them as a parameter."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from payment.domain import Provider
from payment.providers import Credentials
from service_runtime.config import Process, laptop_default, local_api_url
from service_runtime.settings import Environment, Settings, at_least, variable

# Where buyers' browsers and the providers' servers reach us: the gateway. Unset, the
# gateway on this machine, at the port its definition names.
GATEWAY_URLS = {"public_url": "PAYMENT_PUBLIC_URL", "notify_url": "PAYMENT_NOTIFY_URL"}
for _name in GATEWAY_URLS.values():
    laptop_default(_name, "http://127.0.0.1:<api_port of the gateway's ServiceDefinition>",
                   read_by=[("payment", Process.API)])


@dataclass(frozen=True)
class PaymentSettings(Settings):
    # The base of the cashier links buyers follow.
    public_url: str = variable("PAYMENT_PUBLIC_URL", "")
    # The base of the sandbox's notifications to us.
    notify_url: str = variable("PAYMENT_NOTIFY_URL", "")
    # Notifications older than this (or from the future) are refused: no replays.
    callback_max_age_s: int = variable("PAYMENT_CALLBACK_MAX_AGE_S", 900, validate=at_least(1))
    # Other origins (scheme://host[:port]) a cashier may send buyers back to, besides
    # PAYMENT_PUBLIC_URL's (e.g. a mobile app's H5 domain).
    return_origins: tuple[str, ...] = variable("PAYMENT_RETURN_ORIGINS", ())
    # How long a cashier link works after its payment was created.
    cashier_ttl_s: int = variable("PAYMENT_CASHIER_TTL_S", 1800, validate=at_least(0))
    # The provider sandbox (payment.sandbox) stands in for the real providers.
    sandbox: bool = variable("PAYMENT_SANDBOX", True)
    # The merchant's ids at the providers.
    alipay_app_id: str = variable("ALIPAY_APP_ID", "2021000000000001")
    wechatpay_mchid: str = variable("WECHATPAY_MCHID", "1900000001")
    # The real providers' keys; unset, the sandbox's own.
    alipay_public_key: str = variable("ALIPAY_PUBLIC_KEY", "", secret=True)
    wechatpay_public_key: str = variable("WECHATPAY_PUBLIC_KEY", "", secret=True)
    wechatpay_apiv3_key: str = variable("WECHATPAY_APIV3_KEY", "", secret=True)
    wechatpay_serial: str = variable("WECHATPAY_SERIAL", "")
    card_webhook_secret: str = variable("CARD_WEBHOOK_SECRET", "", secret=True)

    @classmethod
    def read(cls, environment: Environment) -> PaymentSettings:
        settings = super().read(environment)
        urls = {}
        for field, name in GATEWAY_URLS.items():
            url = getattr(settings, field)
            if not url:
                try:
                    url = local_api_url("api_gateway")
                except ImportError:
                    environment.problem(name, "not set, and the gateway is not installed "
                                              "here to take its port from")
            urls[field] = url.rstrip("/")
        return dataclasses.replace(settings, **urls)

    def app_id(self, provider: str) -> str:
        """The merchant's id at ``provider`` (Alipay app_id, WeChat Pay mchid)."""
        return {Provider.ALIPAY: self.alipay_app_id,
                Provider.WECHAT: self.wechatpay_mchid}.get(provider, "")

    def provider_credentials(self, provider: str) -> Credentials:
        """The real provider's public key or shared secret, as configured (maybe none)."""
        return {
            Provider.ALIPAY: Credentials(public_key=self.alipay_public_key or None),
            Provider.WECHAT: Credentials(public_key=self.wechatpay_public_key or None,
                                         secret=self.wechatpay_apiv3_key or None,
                                         serial=self.wechatpay_serial or None),
            Provider.CARD: Credentials(secret=self.card_webhook_secret or None),
        }[provider]


# The settings of a process whose environment sets nothing (tests, tools).
DEFAULTS = PaymentSettings()
