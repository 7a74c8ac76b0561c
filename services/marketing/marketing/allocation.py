"""Splitting an amount of fen over lines: largest remainder, ties by line order."""

from __future__ import annotations

from collections.abc import Sequence


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` fen split over ``weights`` proportionally, in whole fen summing exactly to
    ``total``: each share is rounded down, then the fen left over go one each to the largest
    fractional parts (ties: the earlier line). All weights zero: equal weights.

    No share exceeds its weight when ``total <= sum(weights)`` (a discount never takes more
    than what is left on a line)."""
    if total < 0:
        raise ValueError("total must not be negative")
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    if not weights:
        if total:
            raise ValueError("cannot split a non-zero total over no lines")
        return []
    whole = sum(weights)
    if whole == 0:
        weights = [1] * len(weights)
        whole = len(weights)
    shares = [total * weight // whole for weight in weights]
    remainders = [total * weight % whole for weight in weights]
    left = total - sum(shares)
    if left:
        # A stable sort: equal remainders keep the lines' order.
        order = sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)
        for index in order[:left]:
            shares[index] += 1
    return shares
