"""Demo SKUs and prices for the embedded default (until the catalog publishes prices)."""

from order.domain import Price

DEMO_PRICES: dict[str, Price] = {
    "KETTLE-MI-1.7L-WHITE": Price(9900, "CNY"),
    "MUG-CERAMIC-350ML": Price(2500, "CNY"),
    "RICE-COOKER-3L": Price(29900, "CNY"),
    "TEA-LONGJING-250G": Price(16800, "CNY"),
    "PHONE-CASE-CLEAR": Price(3900, "CNY"),
    "EARBUDS-BT-PRO": Price(49900, "CNY"),
}
