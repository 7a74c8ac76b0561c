"""Demo SKUs and prices for the embedded default (until the catalog publishes prices)."""

from service_runtime.money import Money

DEMO_PRICES: dict[str, Money] = {
    "KETTLE-MI-1.7L-WHITE": Money(9900, "CNY"),
    "MUG-CERAMIC-350ML": Money(2500, "CNY"),
    "RICE-COOKER-3L": Money(29900, "CNY"),
    "TEA-LONGJING-250G": Money(16800, "CNY"),
    "PHONE-CASE-CLEAR": Money(3900, "CNY"),
    "EARBUDS-BT-PRO": Money(49900, "CNY"),
}
