"""Unit tests of the campaign quote and the group-buy rules (no database): the lines
priced at the campaign's price, shown at list price, every sum rule holding; a group's
deadline; masked members; why a place is refused."""

from datetime import UTC, datetime, timedelta

import pytest

from event_contracts.events.marketing import GroupSlotRejection
from event_contracts.vocabulary import AdjustmentKind
from marketing.campaign_prices import CampaignPrice, UnknownCampaign
from marketing.campaign_quote import at_list_price, campaign_quote
from marketing.group_rules import group_deadline, join_refusal, mask_user
from marketing.pricing_types import Money, PricingLine
from marketing.quote import quote_json

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
PRICE = CampaignPrice(AdjustmentKind.FLASH_PRICE, "fls_1", "秒杀价",
                      {"A": 1999, "B": 5000, "C": 100})


def priced(lines: list[PricingLine], delivery: str = "standard",
           level: str | None = "regular") -> dict:
    engine = campaign_quote(lines, PRICE, at=AT, member_level=level, delivery_method=delivery,
                            currency="CNY")
    return at_list_price(quote_json(engine, {}, AT), lines, PRICE)


def line(sku: str, unit: int, quantity: int) -> PricingLine:
    return PricingLine(sku=sku, quantity=quantity, unit_price=Money(unit, "CNY"))


@pytest.mark.parametrize("lines", [
    [line("A", 3900, 1)],
    [line("A", 3900, 3), line("B", 9900, 2)],
    [line("C", 101, 7), line("A", 1999, 1)],  # a campaign price equal to the list price
    [line("B", 4000, 1)],  # a campaign price above the list price: the list price holds
], ids=["one", "two-lines", "equal-price", "above-list"])
def test_the_sums_hold_at_list_price(lines):
    quote = priced(lines)
    amount = {li.sku: min(PRICE.unit_amounts[li.sku], li.unit_price.amount) for li in lines}
    paid_goods = sum(amount[li.sku] * li.quantity for li in lines)
    list_goods = sum(li.unit_price.amount * li.quantity for li in lines)
    [campaign] = [a for a in quote["adjustments"] if a["kind"] == "flash_price"]
    assert campaign["amount"]["amount"] == list_goods - paid_goods
    assert quote["adjustments"][0] == campaign and campaign["source_id"] == "fls_1"
    assert quote["subtotal"]["amount"] == list_goods
    assert quote["payable"]["amount"] == paid_goods + quote["shipping"]["amount"]
    assert quote["payable"]["amount"] == (quote["subtotal"]["amount"]
                                          - quote["discount_total"]["amount"]
                                          - quote["points_value"]["amount"]
                                          + quote["shipping"]["amount"])
    assert sum(li["payable"]["amount"] for li in quote["lines"]) == quote["payable"]["amount"]
    for adjustment in quote["adjustments"]:
        allocated = sum(a["amount"]["amount"] for li in quote["lines"] for a in li["allocations"]
                        if (a["kind"], a["source_id"]) == (adjustment["kind"],
                                                          adjustment["source_id"]))
        assert allocated == adjustment["amount"]["amount"]
    for shown, given in zip(quote["lines"], lines, strict=True):
        assert shown["unit_price"]["amount"] == given.unit_price.amount
        assert shown["subtotal"]["amount"] == given.unit_price.amount * given.quantity
    assert quote["promotions"] == [] and quote["applied_coupon"] is None


def test_free_shipping_is_decided_on_what_the_buyer_pays():
    # ¥129 at list price (above a regular member's ¥99 threshold), ¥19.99 at the campaign's.
    assert priced([line("A", 12900, 1)])["shipping"]["amount"] == 1000
    assert priced([line("B", 12900, 2)])["shipping"]["amount"] == 0  # ¥100 paid


def test_a_sku_the_campaign_does_not_sell_is_refused():
    with pytest.raises(UnknownCampaign):
        priced([line("A", 3900, 1), line("Z", 100, 1)])


def test_a_groups_deadline_is_its_fill_time_capped_at_the_campaign_end():
    assert group_deadline(AT, 3600, AT + timedelta(days=1)) == AT + timedelta(hours=1)
    assert group_deadline(AT, 3600, AT + timedelta(minutes=5)) == AT + timedelta(minutes=5)


def test_members_are_masked():
    assert mask_user("usr_01JE0ABCDEF") == "usr***EF"
    assert mask_user("bob") == "b***"


def test_why_a_place_is_refused():
    later = AT + timedelta(hours=1)
    assert join_refusal("open", 1, 3, later, AT) is None
    assert join_refusal("open", 3, 3, later, AT) == GroupSlotRejection.FULL
    assert join_refusal("open", 1, 3, AT, AT) == GroupSlotRejection.CLOSED
    assert join_refusal("failed", 1, 3, later, AT) == GroupSlotRejection.CLOSED
    assert join_refusal("succeeded", 3, 3, later, AT) == GroupSlotRejection.CLOSED
