"""Cart rules without I/O: shipping, totals, tokens, merge caps."""

import pytest

from cart.domain import (
    FREE_SHIPPING_FROM,
    MAX_QUANTITY,
    SHIPPING_FEE,
    CurrencyMismatch,
    InvalidCartToken,
    cart_totals,
    check_cart_token,
    guest_owner,
    merged_quantity,
    new_cart_token,
    shipping_estimate,
    user_owner,
    valid_sku,
)


@pytest.mark.parametrize(("subtotal", "lines", "fee"), [
    (0, 0, 0),            # an empty cart ships nothing
    (1, 1, 1000),
    (9899, 2, 1000),      # one fen short of free
    (9900, 1, 0),         # free at the threshold
    (250000, 3, 0),
])
def test_shipping_is_free_from_99_yuan_else_10(subtotal, lines, fee):
    assert (FREE_SHIPPING_FROM, SHIPPING_FEE) == (9900, 1000)
    assert shipping_estimate(subtotal, lines) == fee


def test_totals_add_quantities_and_subtotals_and_shipping():
    totals = cart_totals([(2, 2500, "CNY"), (1, 3000, "CNY")])
    assert (totals.items, totals.subtotal, totals.shipping, totals.total, totals.currency) == (
        3, 8000, 1000, 9000, "CNY")
    free = cart_totals([(4, 2500, "CNY")])
    assert (free.subtotal, free.shipping, free.total) == (10000, 0, 10000)


def test_an_empty_cart_totals_zero():
    totals = cart_totals([])
    assert (totals.items, totals.subtotal, totals.shipping, totals.total) == (0, 0, 0, 0)


def test_totals_refuse_mixed_currencies():
    with pytest.raises(CurrencyMismatch):
        cart_totals([(1, 100, "CNY"), (1, 100, "USD")])


def test_cart_tokens_are_random_urlsafe_and_at_least_128_bits():
    tokens = {new_cart_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert check_cart_token(token) == token
        assert len(token) * 6 >= 128
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("token", ["", "short", "x" * 42, "x" * 44, "a" * 42 + "=",
                                   "a" * 42 + "/", "a" * 42 + " ", "ä" * 43])
def test_malformed_cart_tokens_are_refused(token):
    with pytest.raises(InvalidCartToken):
        check_cart_token(token)


def test_guest_owners_keep_only_a_hash_of_the_token_and_never_meet_user_owners():
    token = new_cart_token()
    owner = guest_owner(token)
    assert token not in owner and owner == guest_owner(token)
    assert owner != guest_owner(new_cart_token())
    assert user_owner("alice") != guest_owner("alice")


def test_merged_quantities_add_up_to_the_per_line_cap():
    assert merged_quantity(2, 3) == 5
    assert merged_quantity(98, 2) == MAX_QUANTITY == 99
    assert merged_quantity(99, 99) == 99


@pytest.mark.parametrize(("sku", "ok"), [("KETTLE-MI-1.7L", True), ("a", True), ("", False),
                                         ("-x", False), ("a b", False), ("x" * 65, False)])
def test_sku_codes(sku, ok):
    assert valid_sku(sku) is ok
