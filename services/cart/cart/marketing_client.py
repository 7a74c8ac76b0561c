"""The HTTP client of the marketing service's quote (``POST /internal/pricing/quote``),
asked while the shopper waits for their cart.

One pooled session per API process (keep-alive connections, cookies refused: the session
serves every shopper), a short timeout, and the buyer's own ``Authorization`` forwarded
(marketing takes the user from it; a guest sends none). Whatever goes wrong (refused,
timed out, a 5xx, an answer that is not a quote) is logged as a warning and answered as
``None``: the cart is still shown, without the quote.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from marshmallow import ValidationError

from cart.quote_schemas import read_quote
from cart.settings import CartSettings
from service_runtime import context
from service_runtime.app import CORRELATION_ID_HEADER, REQUEST_ID_HEADER
from service_runtime.http_client import pooled_session

log = logging.getLogger(__name__)

QUOTE_PATH = "/internal/pricing/quote"


@dataclass
class MarketingClient:
    base_url: str
    timeout_s: float
    session: requests.Session

    @classmethod
    def from_settings(cls, settings: CartSettings) -> MarketingClient:
        return cls(settings.marketing_service_url.rstrip("/"),
                   settings.marketing_timeout_ms / 1000,
                   pooled_session(settings.marketing_pool_size, hosts=1))

    def quote(self, body: Mapping[str, Any], authorization: str | None) -> dict | None:
        """Marketing's quote of ``body`` for the buyer ``authorization`` names (None: a
        guest), loaded by ``QUOTE_READER``; None when it cannot be had."""
        headers = {CORRELATION_ID_HEADER: context.current_correlation_id(),
                   REQUEST_ID_HEADER: context.request_id.get() or ""}
        if authorization:
            headers["Authorization"] = authorization
        url = self.base_url + QUOTE_PATH
        try:
            response = self.session.post(url, json=body, headers=headers,
                                         timeout=(self.timeout_s, self.timeout_s),
                                         allow_redirects=False)
        except requests.RequestException as exc:
            log.warning("the cart is shown without a quote: %s did not answer (%s)", url,
                        type(exc).__name__)
            return None
        if response.status_code != 200:
            log.warning("the cart is shown without a quote: %s answered %s", url,
                        response.status_code)
            return None
        try:
            return read_quote(response.json())
        except (ValueError, ValidationError) as exc:
            log.warning("the cart is shown without a quote: %s sent no quote (%s)", url,
                        str(exc)[:300])
            return None
