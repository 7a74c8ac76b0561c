"""How coupons, promotions and a price breakdown read on a page: "满100减10", "9折",
"再买 ¥23.00 可减 ¥40.00", and the marketing API's refusals in the shopper's words.

Pure helpers over the API's JSON (also registered as template globals by
:mod:`shop_web.marketing_pages`), so that the storefront and the console say an offer the
same way.
"""

from __future__ import annotations

from typing import Any

from shop_web import formatting
from shop_web import marketing_texts as _texts  # noqa: F401  (registers the texts)
from shop_web.gateway_client import ApiProblem
from shop_web.i18n import language, t


def amount_of(value: Any) -> int:
    """The minor units of a Money (``None`` and a bare number allowed)."""
    if isinstance(value, dict):
        return int(value.get("amount") or 0)
    return int(value or 0)


def short_money(value: Any) -> str:
    """A coupon face's amount: ``¥100`` for whole yuan, ``¥99.50`` otherwise."""
    text = formatting.money(value if value is not None else 0)
    return text[:-3] if text.endswith(".00") else text


def zhe(percent: int) -> str:
    """What a buyer pays, in 折: ``80`` -> ``8``, ``85`` -> ``8.5``, ``95`` -> ``9.5``."""
    tens, units = divmod(int(percent), 10)
    return f"{tens}.{units}" if units else str(tens)


def percent_words(percent: int, key: str = "offer.discount", **values: Any) -> str:
    """A percentage to pay as the shopper reads it: 8折 in Chinese, 20% off in English."""
    return t(key, zhe=zhe(percent), off=100 - int(percent), **values)


def coupon_face(template: dict[str, Any]) -> str:
    """The big words of a coupon: ``满100减10``, ``9折``, ``免运费``."""
    kind = template.get("kind")
    if kind == "amount_off":
        minimum = amount_of(template.get("min_spend"))
        off = short_money(template.get("amount_off"))
        return (t("offer.amount_off", min=short_money(minimum), off=off) if minimum
                else t("offer.amount_off_any", off=off))
    if kind == "percent_off":
        return percent_words(template.get("percent_off") or 100, "offer.percent_off")
    if kind == "free_shipping":
        return t("offer.free_shipping")
    return str(template.get("name") or "")


def coupon_value(template: dict[str, Any]) -> str:
    """The figure on a coupon's face: ``¥10``, ``9折``, ``免运费``."""
    kind = template.get("kind")
    if kind == "amount_off":
        return short_money(template.get("amount_off"))
    return coupon_face(template)


def coupon_condition(template: dict[str, Any]) -> str:
    """Under the figure: ``满¥100可用`` or ``无门槛``."""
    if amount_of(template.get("min_spend")):
        return t("offer.min_spend", amount=short_money(template["min_spend"]))
    return t("offer.no_threshold")


def coupon_terms(template: dict[str, Any]) -> list[str]:
    """The small print of a coupon besides its condition: the cap, the scope."""
    terms = []
    if template.get("kind") == "percent_off" and amount_of(template.get("max_discount")):
        terms.append(t("offer.max_discount", amount=short_money(template["max_discount"])))
    terms.append(scope_words(template.get("scope")))
    return terms


def validity_words(template: dict[str, Any], coupon: dict[str, Any] | None = None) -> str:
    """Until when a coupon may be used: the user coupon's dates, else the template's."""
    source = coupon or template
    if coupon is None and template.get("valid_days"):
        return t("offer.valid_days", days=template["valid_days"])
    until = source.get("valid_until")
    if not until:
        return ""
    start = source.get("valid_from")
    if start:
        return t("offer.valid_between", start=formatting.when(start),
                 end=formatting.when(until))
    return t("offer.valid_until", when=formatting.when(until))


def scope_words(scope: dict[str, Any] | None) -> str:
    kind = (scope or {}).get("kind") or "all"
    if kind == "brands":
        return t("offer.scope.brands", names="、".join((scope or {}).get("names") or []))
    key = f"offer.scope.{kind}"
    words = t(key)
    return words if words != key else kind


def level_name(code: str | None) -> str:
    key = f"member.level.{code}"
    words = t(key)
    return words if words != key else str(code or "")


def promotion_terms(promotion: dict[str, Any]) -> str:
    """What a promotion gives: ``满300减40，满500减80``, ``8折``, ``白银会员 9.5折 …``."""
    kind = promotion.get("kind")
    comma = "，" if language() == "zh" else ", "
    if kind == "full_reduction":
        return comma.join(t("offer.tier", threshold=short_money(tier["threshold"]),
                            off=short_money(tier["off"]))
                          for tier in promotion.get("tiers") or [])
    if kind == "timed_discount" and promotion.get("percent"):
        return percent_words(promotion["percent"])
    if kind == "member_price":
        return comma.join(percent_words(value, "offer.member", level=level_name(level))
                          for level, value in (promotion.get("member_percents") or {}).items())
    return ""


def kind_words(kind: str | None) -> str:
    key = f"offer.kind.{kind}"
    words = t(key)
    return words if words != key else str(kind or "")


def adjustment_words(adjustment: dict[str, Any]) -> str:
    """A line of a breakdown: ``满减 · 满300减40`` (the label is the offer's own name)."""
    key = f"adjust.{adjustment.get('kind')}"
    kind = t(key)
    label = str(adjustment.get("label") or "")
    if kind == key:
        return label
    # Points and shipping are no offer of a name: their label is the API's own words.
    if not label or label == kind or adjustment.get("kind") in ("points", "shipping"):
        return kind
    return f"{kind} · {label}"


def is_discount(adjustment: dict[str, Any]) -> bool:
    return adjustment.get("kind") != "shipping"


def reason_words(reason: str | None) -> str:
    key = f"reason.{reason}"
    words = t(key)
    return words if words != key else str(reason or "")


def coupon_id(coupon: dict[str, Any] | None) -> str:
    """A quoted coupon's user coupon id (the quote names it ``id`` and ``user_coupon_id``)."""
    if not coupon:
        return ""
    return str(coupon.get("user_coupon_id") or coupon.get("id") or "")


def coupon_name(coupon: dict[str, Any] | None) -> str:
    """A quoted coupon's name: its own, or its template's (a user coupon carries the
    template it was issued from)."""
    if not coupon:
        return ""
    return str(coupon.get("name") or (coupon.get("template") or {}).get("name")
               or coupon_face(coupon.get("template") or coupon) or coupon_id(coupon))


def problem_slug(problem: ApiProblem) -> str:
    """``urn:shop:problem:coupon-sold-out`` -> ``coupon-sold-out``."""
    return problem.slug.rsplit(":", 1)[-1]


def problem_words(problem: ApiProblem) -> str:
    """A refusal of the marketing API in the shopper's words (the API's own otherwise);
    a coupon refused for a reason the API names says that reason too."""
    slug = problem_slug(problem)
    key = f"marketing.problem.{slug}"
    words = t(key)
    if words == key:
        return problem.detail or problem.title
    # The reason travels as a member of the problem, or as its detail (passed on as is).
    reason = str(problem.body.get("reason") or problem.detail or "")
    reason_text = reason_words(reason)
    if slug == "coupon-not-usable" and reason and reason_text != reason:
        return f"{words}：{reason_text}" if language() == "zh" else f"{words}: {reason_text}"
    return words


def applies_to(scope: dict[str, Any] | None, product: dict[str, Any]) -> bool:
    """Whether an offer's scope takes in the product (a category counts with its subtree:
    the product's category path names every category above it)."""
    kind = (scope or {}).get("kind") or "all"
    if kind == "all":
        return True
    if kind == "products":
        return product.get("id") in (scope or {}).get("ids") or []
    if kind == "brands":
        return product.get("brand") in (scope or {}).get("names") or []
    path = {step.get("id") for step in product.get("category_path") or []}
    path.add(product.get("category_id"))
    return bool(path & set((scope or {}).get("ids") or []))


TEMPLATE_HELPERS = {
    "coupon_face": coupon_face, "coupon_terms": coupon_terms, "coupon_value": coupon_value,
    "coupon_condition": coupon_condition, "validity_words": validity_words,
    "scope_words": scope_words, "level_name": level_name, "promotion_terms": promotion_terms,
    "offer_kind": kind_words, "adjustment_words": adjustment_words, "is_discount": is_discount,
    "reason_words": reason_words, "quoted_coupon_id": coupon_id, "short_money": short_money,
    "coupon_name": coupon_name,
}
