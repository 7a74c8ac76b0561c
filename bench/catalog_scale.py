"""Benchmark the catalog's reads on a 100,000-product catalog against a bare endpoint.

    .venv/bin/python bench/catalog_scale.py [--help]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/catalog_scale.py        # SQLite, then PostgreSQL

1. Builds a catalog of ``--products`` products (Chinese and English names, two or three
   SKUs each, made from the demo catalog's kinds, brands and variants) through the bulk
   import the demo loader uses, and reports products per second.
2. Serves the catalog API and a bare Flask JSON endpoint (``apps.bare_app()``) under
   gunicorn with the same settings, and measures list / detail / search / facets latency
   at one connection and throughput at ``--connections`` (16), interleaved with the bare
   endpoint.
3. Scores the judged query set (``services/catalog/tests/judged_queries.py``) on the demo
   catalog: nDCG@10.

Machines are shared and noisy: only the ratios to the bare endpoint are meant to be
compared between runs. A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from catalog import demo

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
SERIES = ("", "Pro", "Max", "Lite", "Plus", "SE", "Air", "Ultra", "Mini", "Neo")


def scale_products(count: int) -> Iterator[dict[str, Any]]:
    """``count`` distinct products, deterministic: the demo's kinds x brands x variants,
    each in numbered model series, with two or three colour SKUs."""
    combos = [(kind, brand, variant)
              for kind in demo.KINDS for brand in kind[5] for variant in kind[6]]
    colours = list(demo.COLOURS)
    for n in range(count):
        kind, brand, variant = combos[n % len(combos)]
        category_id, code, kind_cn, kind_en, base = kind[:5]
        brand_cn, brand_en, brand_code, brand_factor = brand
        variant_cn, variant_en, variant_code, factor = variant
        generation = n // len(combos)
        series = f"{SERIES[generation % len(SERIES)]} {generation // len(SERIES) + 1}".strip()
        h = zlib.crc32(f"scale-{n}".encode())
        price = max(900, base * brand_factor * factor // 10000 * (80 + h % 41) // 100)
        price = (price + 99) // 100 * 100 - 1
        skus = [{"sku": f"S{n:07d}-{colour}",
                 "price": {"amount": price + i * 1000, "currency": "CNY"},
                 "attributes": {"model": f"{variant_cn} {variant_en}",
                                "colour": " ".join(demo.COLOURS[colour])},
                 "stock": demo.STOCK_LEVELS[(h >> (4 * i)) % len(demo.STOCK_LEVELS)]}
                for i, colour in enumerate(colours[h % 5: h % 5 + 2 + h % 2])]
        sales = (h % 997) * (h >> 10) % 23
        yield {
            "name": f"{brand_cn}{kind_cn} {variant_cn} {series} {brand_en} {kind_en} "
                    f"{variant_en} {series}",
            "brand": brand_cn,
            "category_id": category_id,
            "description": f"{brand_cn}（{brand_en}）{kind_cn}，{variant_cn}，{series}系列。"
                           f"{brand_en} {kind_en.lower()}, {variant_en}, {series} series.",
            "images": [f"https://img.shop.example/scale/{n}/{i}.jpg" for i in (1, 2)],
            "specs": {"型号 Model": f"{brand_code}-{code}-{variant_code}-{n}"},
            "skus": skus,
            "sales_count": sales,
            "rating_count": sales // 4,
            "rating_avg_x100": 350 + h % 151 if sales // 4 else 0,
            "created_at": EPOCH + timedelta(minutes=n * 7 % 500_000),
        }
