"""Where a provider's cashier sends the buyer's browser back after paying (``return_url``,
as Alipay's and WeChat Pay's H5 payments have): only to the shop itself.

A path (``/orders/ord_1/result``) is the shop's, under ``PAYMENT_PUBLIC_URL`` (the
gateway, which also serves the pages). A full URL must be on that origin or on one named
in ``PAYMENT_RETURN_ORIGINS``: anything else would make the cashier an open redirect to
whatever site a link's author chose. The link back carries what the provider's return
carries (the payment, the order, the outcome), unsigned: the shop's page only shows what
the payment service says, never trusts the query.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from payment.settings import PaymentSettings
from service_runtime.errors import InvalidInput

MAX_RETURN_URL = 1000


class ReturnUrlNotAllowed(InvalidInput):
    slug, title = "return-url-not-allowed", "The return address is not one of the shop's"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def resolve_return_url(settings: PaymentSettings, wanted: str | None) -> str | None:
    """The absolute URL to send the buyer back to, or None; a foreign one is a 422."""
    if wanted is None:
        return None
    if wanted.startswith("/") and not wanted.startswith("//"):
        return settings.public_url + wanted
    scheme, host = _origin(wanted)
    allowed = {_origin(settings.public_url), *map(_origin, settings.return_origins)}
    if scheme not in ("http", "https") or not host or (scheme, host) not in allowed:
        raise ReturnUrlNotAllowed(f"return_url must be a path of the shop or on "
                                  f"{settings.public_url}")
    return wanted


def back_to_shop(return_url: str, payment_id: str, order_id: str | None, outcome: str) -> str:
    """``return_url`` with the provider's return parameters added."""
    query = {"payment_id": payment_id, "outcome": outcome,
             **({"order_id": order_id} if order_id else {})}
    separator = "&" if urlsplit(return_url).query else "?"
    return return_url + separator + urlencode(query)
