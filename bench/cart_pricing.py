"""What promotions cost a cart read: ``GET /cart`` through the gateway, priced against 10
running promotions and 5 coupons, against the same cart with none, in the same run.

    .venv/bin/python bench/cart_pricing.py                 # starts its own stack
    .venv/bin/python bench/cart_pricing.py --gateway http://127.0.0.1:8080
    .venv/bin/python bench/cart_pricing.py --help

Two shoppers hold the same 20-line cart. Rounds alternate:
- **without**: every offer this benchmark made is paused; the shopper without coupons reads
  the cart (the quote is still asked, and answers with no offers);
- **with**: the 10 promotions (full reductions, timed discounts, member prices, on
  everything, categories, brands and products, in exclusion groups) are active; the
  shopper holding 5 coupons reads the cart (every coupon is weighed, the best suggested).

Each read is ``bench/loadgen.py`` with ``--connections`` keep-alive clients sending the
shopper's Authorization. The issue's target: the ``with`` reads cost at most 20 % more
(req/s ratio >= 0.83, p50 ratio <= 1.2). A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import stack_processes as processes
from run import terminate_on_sigterm
from stack import drive

LINES = 20
PASSWORD = "bench-password-1"


def money(fen: int) -> dict:
    return {"amount": fen, "currency": "CNY"}


def sign_in(gateway: str, login: str, password: str) -> dict[str, str]:
    tokens = requests.post(f"{gateway}/api/v1/auth/login", timeout=30,
                           json={"login": login, "password": password})
    tokens.raise_for_status()
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def shopper(gateway: str, name: str) -> dict[str, str]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@bench.test"
    requests.post(f"{gateway}/api/v1/auth/register", timeout=30,
                  json={"email": email, "password": PASSWORD, "nickname": name}
                  ).raise_for_status()
    return sign_in(gateway, email, PASSWORD)


def in_stock_skus(gateway: str, count: int) -> list[dict]:
    """``count`` SKUs with stock, from the product list: (sku, product id, category, brand)."""
    found: list[dict] = []
    cursor = None
    while len(found) < count:
        params = {"limit": 50, "in_stock": "true", **({"cursor": cursor} if cursor else {})}
        page = requests.get(f"{gateway}/api/v1/products", params=params, timeout=30).json()
        for item in page["items"]:
            product = requests.get(f"{gateway}/api/v1/products/{item['id']}", timeout=30).json()
            sku = next((s for s in product["skus"] if s["available"] >= 5), None)
            if sku:
                found.append({"sku": sku["sku"], "product_id": product["id"],
                              "category_id": product["category_path"][0]["id"],
                              "brand": product["brand"]})
            if len(found) == count:
                break
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return found


def fill_cart(gateway: str, headers: dict, skus: list[dict]) -> None:
    for line in skus:
        requests.post(f"{gateway}/api/v1/cart/items", headers=headers, timeout=30,
                      json={"sku": line["sku"], "quantity": 1}).raise_for_status()


def make_offers(gateway: str, admin: dict, skus: list[dict]) -> tuple[list[str], list[str]]:
    """10 promotions and 5 claimable coupon templates over the cart's lines: their ids."""
    now = datetime.now(UTC)
    window = {"starts_at": (now - timedelta(minutes=1)).isoformat(),
              "ends_at": (now + timedelta(days=1)).isoformat()}
    categories = sorted({s["category_id"] for s in skus})
    brands = sorted({s["brand"] for s in skus})
    products = [s["product_id"] for s in skus]
    promotions = [
        {"kind": "full_reduction", "scope": {"kind": "all"},
         "tiers": [{"threshold": money(30000), "off": money(4000)},
                   {"threshold": money(50000), "off": money(8000)}]},
        {"kind": "full_reduction", "scope": {"kind": "categories", "ids": categories[:2]},
         "tiers": [{"threshold": money(20000), "off": money(2000)}], "exclusion_group": "fr"},
        {"kind": "full_reduction", "scope": {"kind": "brands", "names": brands[:3]},
         "tiers": [{"threshold": money(10000), "off": money(1500)}], "exclusion_group": "fr"},
        {"kind": "full_reduction", "scope": {"kind": "products", "ids": products[:5]},
         "tiers": [{"threshold": money(5000), "off": money(500)}], "exclusion_group": "fr2"},
        {"kind": "timed_discount", "scope": {"kind": "categories", "ids": categories[:1]},
         "percent": 90},
        {"kind": "timed_discount", "scope": {"kind": "brands", "names": brands[:2]},
         "percent": 85, "exclusion_group": "td"},
        {"kind": "timed_discount", "scope": {"kind": "products", "ids": products[5:10]},
         "percent": 80, "exclusion_group": "td"},
        {"kind": "member_price", "scope": {"kind": "all"},
         "member_percents": {"silver": 98, "gold": 95, "platinum": 90}},
        {"kind": "member_price", "scope": {"kind": "categories", "ids": categories[:3]},
         "member_percents": {"regular": 99, "gold": 93}},
        {"kind": "member_price", "scope": {"kind": "products", "ids": products[10:15]},
         "member_percents": {"regular": 97}},
    ]
    promotion_ids = []
    for n, body in enumerate(promotions):
        created = requests.post(f"{gateway}/api/v1/admin/promotions", headers=admin, timeout=30,
                                json={"name": f"bench promotion {n}", **window, **body})
        created.raise_for_status()
        promotion_ids.append(created.json()["id"])
    coupons = [
        {"kind": "amount_off", "amount_off": money(1000), "min_spend": money(10000)},
        {"kind": "amount_off", "amount_off": money(3000), "min_spend": money(30000),
         "scope": {"kind": "categories", "ids": categories[:2]}},
        {"kind": "percent_off", "percent_off": 90, "max_discount": money(5000)},
        {"kind": "percent_off", "percent_off": 95, "max_discount": money(2000),
         "scope": {"kind": "brands", "names": brands[:4]}, "exclusion_group": "c"},
        {"kind": "free_shipping"},
    ]
    template_ids = []
    for n, body in enumerate(coupons):
        created = requests.post(f"{gateway}/api/v1/admin/coupons", headers=admin, timeout=30,
                                json={"name": f"bench coupon {n}", "total_quantity": 1000,
                                      "per_user_limit": 1, "claimable": True, "valid_days": 7,
                                      **body})
        created.raise_for_status()
        template_ids.append(created.json()["id"])
    return promotion_ids, template_ids


def set_status(gateway: str, admin: dict, promotion_ids: list[str], status: str) -> None:
    for promotion_id in promotion_ids:
        requests.patch(f"{gateway}/api/v1/admin/promotions/{promotion_id}", headers=admin,
                       json={"status": status}, timeout=30).raise_for_status()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", help="attach to this running stack instead of starting one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--admin", default=os.environ.get("ADMIN_EMAIL", processes.ADMIN[0]))
    parser.add_argument("--admin-password",
                        default=os.environ.get("ADMIN_PASSWORD", processes.ADMIN[1]))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    print(f"bench/cart_pricing.py  {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC  "
          f"{platform.node()}  {os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.2f}")
    workdir = Path(tempfile.mkdtemp(prefix="shop-cart-bench-"))
    stack = None
    try:
        with terminate_on_sigterm():
            stack = (processes.attach(args.gateway, None) if args.gateway
                     else processes.start(workdir, None, 1))
            gateway = stack.gateway
            admin = sign_in(gateway, args.admin, args.admin_password)
            skus = in_stock_skus(gateway, LINES)
            plain, holder = shopper(gateway, "plain"), shopper(gateway, "holder")
            fill_cart(gateway, plain, skus)
            fill_cart(gateway, holder, skus)
            promotion_ids, template_ids = make_offers(gateway, admin, skus)
            for template_id in template_ids:
                requests.post(f"{gateway}/api/v1/coupons/{template_id}/claim", headers=holder,
                              timeout=30).raise_for_status()
            with_offers = requests.get(f"{gateway}/api/v1/cart", headers=holder,
                                       timeout=30).json()["pricing"]
            print(f"cart of {len(skus)} lines; with the offers: "
                  f"{sum(p['applied'] for p in with_offers['promotions'])} of "
                  f"{len(with_offers['promotions'])} promotions apply, "
                  f"{len(with_offers['coupons']['usable'])} coupons usable, discount "
                  f"{with_offers['discount_total']['amount'] / 100:.2f} yuan")
            runs: dict[str, list[dict]] = {"without": [], "with": []}
            for n in range(args.rounds):
                order = ["without", "with"] if n % 2 == 0 else ["with", "without"]
                for side in order:
                    set_status(gateway, admin, promotion_ids,
                               "active" if side == "with" else "paused")
                    headers = holder if side == "with" else plain
                    runs[side].append(drive(f"{gateway}/api/v1/cart", ["/api/v1/cart"], args,
                                            headers))
                print(f"  round {n + 1}/{args.rounds}: without "
                      f"{runs['without'][-1]['rps']:,.0f} req/s, with "
                      f"{runs['with'][-1]['rps']:,.0f} req/s")
            set_status(gateway, admin, promotion_ids, "paused")
            print(report(runs, args.connections))
    finally:
        if stack is not None and stack.processes:
            stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report(runs: dict[str, list[dict]], connections: int) -> str:
    def median(side: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[side])

    lines = ["-" * 78, f"{'GET /cart through the gateway, c=' + str(connections):<40}"
             f"{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}", "-" * 78]
    for side in ("without", "with"):
        label = ("no offers, no coupons" if side == "without"
                 else "10 promotions, 5 coupons")
        lines.append(f"{label:<40}{median(side, 'rps'):>10,.0f}{median(side, 'p50_ms'):>10.1f}"
                     f"{median(side, 'p99_ms'):>10.1f}"
                     f"{sum(r['errors'] for r in runs[side]):>8}")
    lines.append(f"{'with / without':<40}{median('with', 'rps') / median('without', 'rps'):>10.2f}"
                 f"{median('with', 'p50_ms') / median('without', 'p50_ms'):>10.2f}"
                 f"{median('with', 'p99_ms') / median('without', 'p99_ms'):>10.2f}")
    lines.append("-" * 78)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
