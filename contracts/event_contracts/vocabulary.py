"""Vocabularies more than one service speaks: the values event payloads carry."""

from enum import StrEnum


class DeliveryMethod(StrEnum):
    """How an order reaches its buyer (``OrderPlaced.delivery_method``)."""

    STANDARD = "standard"
    EXPRESS = "express"
    PICKUP = "pickup"  # the buyer collects it at the pickup point with a code


class ReturnKind(StrEnum):
    """What a buyer's after-sales request asks for (``type`` of the Return* events)."""

    REFUND_ONLY = "refund_only"  # money back, the goods stay with the buyer (or never left)
    RETURN_REFUND = "return_refund"  # the goods come back, then the money
    EXCHANGE = "exchange"  # the goods come back, a replacement parcel goes out


class PaymentMethod(StrEnum):
    """How a buyer pays an order (``PaymentConfirmed.method``, ``RefundIssued.method``)."""

    BALANCE = "balance"  # the buyer's wallet
    ALIPAY = "alipay"
    WECHAT = "wechat"
    CARD = "card"
    CASH_ON_DELIVERY = "cod"  # the courier collects it; the order ships unpaid


class RefundDestination(StrEnum):
    """Where a refund's money went (``RefundIssued.destination``)."""

    ORIGINAL = "original"  # back the way it was paid
    BALANCE = "balance"  # into the wallet (cash on delivery cannot be handed back in cash)


class AdjustmentKind(StrEnum):
    """One line of a price breakdown (``OrderPlaced.adjustments[].kind``): what changed the
    amount the buyer pays. Every kind but ``shipping`` is a discount."""

    MEMBER_PRICE = "member_price"  # 会员价
    TIMED_DISCOUNT = "timed_discount"  # 限时折扣
    FULL_REDUCTION = "full_reduction"  # 满减
    COUPON = "coupon"
    POINTS = "points"  # 积分抵扣
    SHIPPING = "shipping"  # a charge, not a discount
    GROUP_PRICE = "group_price"  # 拼团价: the line at its group-buy campaign's price
    FLASH_PRICE = "flash_price"  # 秒杀价: the line at its flash session's price


class CouponKind(StrEnum):
    AMOUNT_OFF = "amount_off"  # 满100减10
    PERCENT_OFF = "percent_off"  # 9折, at most max_discount off
    FREE_SHIPPING = "free_shipping"


class PromotionKind(StrEnum):
    FULL_REDUCTION = "full_reduction"
    TIMED_DISCOUNT = "timed_discount"
    MEMBER_PRICE = "member_price"


class CampaignKind(StrEnum):
    """The campaigns an order can be bought through (``OrderPlaced.campaign.kind``): its
    lines are then at the campaign's price, with no promotion, coupon or points."""

    GROUP_BUY = "group_buy"  # 拼团: ships only once its group filled and paid
    FLASH_SALE = "flash_sale"  # 秒杀: won at the flash gate, its unit held apart


class RiskRule(StrEnum):
    """The rules the analytics service raises risk flags by (``RiskFlagRaised.rule``)."""

    PAYMENT_FAILURES = "payment_failures"  # one user's payments keep failing
    ACCOUNT_SIGN_IN_FAILURES = "account_sign_in_failures"  # one account guessed at
    ADDRESS_SIGN_IN_ACCOUNTS = "address_sign_in_accounts"  # many accounts from one address
    REFUND_ABUSE = "refund_abuse"  # one user's refund rate far above the norm
    ORDER_BURST = "order_burst"  # many orders from one user in a short time


class SignInFailure(StrEnum):
    """Why a password sign-in was refused (``SignInFailed.reason``)."""

    WRONG_PASSWORD = "wrong_password"
    UNKNOWN_ACCOUNT = "unknown_account"
    ACCOUNT_LOCKED = "account_locked"  # refused unchecked: the account is locked for a while


class TrackEventType(StrEnum):
    """What a shopper's client reports to analytics (``POST /track``): the client apps and
    the storefront send them, the analytics service counts them."""

    PAGE_VIEW = "page_view"  # a product page (``product_id``), the payment page, ...
    CLICK = "click"  # a key button (``name``: add_to_cart, place_order, pay, ...)
    SEARCH = "search"  # ``props.query``
    ADD_TO_CART = "add_to_cart"
    REMOVE_FROM_CART = "remove_from_cart"
    ERROR = "error"  # an error the client met (``name``, ``props``)
    ANOMALY = "anomaly"  # repeated refreshes, repeated payment failures, ...
