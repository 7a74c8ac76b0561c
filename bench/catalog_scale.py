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

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.parse
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from run import BENCH_DIR, Gunicorn, terminate_on_sigterm

from catalog import demo
from catalog.browse import ProductQuery, search_products
from catalog.definition import DEFINITION
from catalog.importing import import_catalog
from catalog.judged_queries import JUDGED, ndcg_at
from service_runtime.db import Database
from service_runtime.migrate import upgrade
from service_runtime.testing.databases import DatabaseFactory

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


# --------------------------------------------------------------------------- measuring


@dataclass
class Row:
    """One path's figures on one database and catalog, with the bare endpoint's measured
    right before them."""

    backend: str
    catalog: str
    path: str
    c1_ms: float
    c1_p99_ms: float
    bare_c1_ms: float
    rps: float | None = None
    bare_rps: float | None = None

    @property
    def c1_ratio(self) -> float:
        return self.bare_c1_ms / self.c1_ms

    @property
    def rps_ratio(self) -> float | None:
        return self.rps / self.bare_rps if self.rps and self.bare_rps else None


class CatalogServer(Gunicorn):
    """The catalog API under gunicorn, on the database given, ready once it lists."""

    def __init__(self, url: str, args: argparse.Namespace, workdir: Path) -> None:
        super().__init__("catalog", "catalog.app:create_app()", args, workdir)
        self.env["CATALOG_DATABASE_URL"] = url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/products?limit=1"


def latencies(port: int, paths: list[str], requests: int) -> list[float]:
    """Seconds per request of ``requests`` sequential requests on one keep-alive
    connection, cycling through ``paths``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    try:
        for n in range(requests):
            started = time.perf_counter()
            connection.request("GET", paths[n % len(paths)])
            response = connection.getresponse()
            response.read()
            times.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"{paths[n % len(paths)]} answered {response.status}")
    finally:
        connection.close()
    return times


def throughput(port: int, path: str, args: argparse.Namespace) -> float:
    completed = subprocess.run(
        [sys.executable, str(BENCH_DIR / "loadgen.py"), "--port", str(port), "--path", path,
         "--connections", str(args.connections), "--warmup", str(args.warmup),
         "--duration", str(args.duration)],
        capture_output=True, text=True, timeout=args.warmup + args.duration + 60, check=True)
    report = json.loads(completed.stdout)
    if report["errors"]:
        raise RuntimeError(f"{path}: {report['errors']} errors under load")
    return report["rps"]


def quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/?=&")


def measured_paths(product_ids: list[int]) -> dict[str, list[str]]:
    """What is measured, by name: the paths a shop front calls most. ``facets (cold)``
    asks a new price floor each time, so its facets are always counted afresh."""
    return {
        "list": ["/api/v1/products?limit=20"],
        "list, page 5 (cursor)": [],  # filled in once the cursors are known
        "list of a category": ["/api/v1/products?category=2&limit=20"],
        "detail": [f"/api/v1/products/{i}" for i in product_ids],
        "search 手机": [quote("/api/v1/products?q=手机&limit=20")],
        "search 小米 电热水壶": [quote("/api/v1/products?q=小米 电热水壶&limit=20")],
        "search mi kettle": [quote("/api/v1/products?q=mi kettle&limit=20")],
        "facets (cold)": [f"/api/v1/products?category=1&price_min={n}&limit=20"
                          for n in range(100, 100 + 997)],
    }


def fifth_page(port: int) -> str:
    path = "/api/v1/products?limit=20"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(4):
            connection.request("GET", path)
            cursor = json.loads(connection.getresponse().read())["next_cursor"]
            path = f"/api/v1/products?limit=20&cursor={cursor}"
    finally:
        connection.close()
    return path


def bench_backend(backend: str, url: str, args: argparse.Namespace,
                  workdir: Path) -> tuple[list[Row], float]:
    """Measure every path on the demo catalog, then again once ``--products`` more are
    imported; return the rows and the import's products/s."""
    upgrade(DEFINITION, url)
    db = Database(url)
    if args.import_only:
        try:
            import_catalog(db, demo.categories(), demo.products())
            return [], timed_import(backend, db, args)
        finally:
            db.dispose()
    catalog, bare = CatalogServer(url, args, workdir), Gunicorn("bare", "apps:bare_app()",
                                                                args, workdir)
    try:
        import_catalog(db, demo.categories(), demo.products())
        for server in (catalog, bare):
            server.start()
        for server in (catalog, bare):
            server.wait_ready()
        rows = measure(backend, "demo", catalog, bare, len(demo.products()), args)
        rate = timed_import(backend, db, args)
        rows += measure(backend, f"{args.products // 1000}k", catalog, bare,
                        len(demo.products()) + args.products, args)
    finally:
        catalog.stop()
        bare.stop()
        db.dispose()
    return rows, rate


def timed_import(backend: str, db: Database, args: argparse.Namespace) -> float:
    """Import ``--products`` generated products; print and return products/s. The CPU
    this process spent per product is printed too: on a busy machine it moves less than
    the rate (on SQLite it is nearly all of the import's work)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = import_catalog(db, [], scale_products(args.products))
    rate = result.products_added / (time.perf_counter() - started)
    cpu_us = (time.process_time() - cpu) / max(1, result.products_added) * 1e6
    print(f"  {backend}: {result.products_added:,} products imported, {rate:,.0f} products/s "
          f"({cpu_us:,.0f} us of this process's CPU per product)")
    return rate


def measure(backend: str, label: str, catalog: Gunicorn, bare: Gunicorn, products: int,
            args: argparse.Namespace) -> list[Row]:
    rows = []
    paths = measured_paths(list(range(1, products, max(1, products // 50))))
    paths["list, page 5 (cursor)"] = [fifth_page(catalog.port)]
    for name, targets in paths.items():
        latencies(catalog.port, targets, 5)  # warm: connections, caches, plans
        bare_times = latencies(bare.port, ["/api/v1/ping"], args.requests)
        times = latencies(catalog.port, targets, args.requests)
        row = Row(backend, label, name, statistics.median(times) * 1e3,
                  sorted(times)[int(len(times) * 0.99) - 1] * 1e3,
                  statistics.median(bare_times) * 1e3)
        if name != "facets (cold)":
            row.bare_rps = throughput(bare.port, "/api/v1/ping", args)
            row.rps = throughput(catalog.port, targets[0], args)
        rows.append(row)
        print(f"    {label:5} {name:24} c=1 {row.c1_ms:6.1f} ms (p99 {row.c1_p99_ms:6.1f}; "
              f"bare {row.bare_c1_ms:.1f})" + (f"   c={args.connections} {row.rps:6,.0f} "
                                               f"req/s (bare {row.bare_rps:,.0f})"
                                               if row.rps else ""))
    return rows


def judged_ndcg(workdir: Path) -> tuple[float, list[tuple[str, float]]]:
    """Mean nDCG@10 of the judged queries on the demo catalog (SQLite)."""
    url = f"sqlite:///{workdir / 'judged.db'}"
    upgrade(DEFINITION, url)
    db = Database(url)
    try:
        import_catalog(db, demo.categories(), demo.products())
        scores = []
        for q, first in JUDGED:
            page = search_products(db, ProductQuery(q=q, limit=10))
            scores.append((q, ndcg_at([item.name for item in page.items], first)))
    finally:
        db.dispose()
    return statistics.mean(s for _, s in scores), scores


def width(text: str) -> int:
    """Columns a string takes in a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def print_table(rows: list[Row], rates: dict[str, float], connections: int) -> None:
    demo_rows = {(r.backend, r.path): r for r in rows if r.catalog == "demo"}
    header = ("database", "catalog", "path", "c=1 ms", "p99 ms", "bare ms", "ratio",
              f"c={connections} req/s", "bare req/s", "ratio", "vs demo c=1/c=16")
    lines = [header]
    for r in rows:
        base = demo_rows.get((r.backend, r.path))
        versus = "-"
        if r.catalog != "demo" and base is not None:
            versus = f"{base.c1_ms / r.c1_ms:.2f}"
            if r.rps_ratio and base.rps_ratio:
                versus += f" / {r.rps_ratio / base.rps_ratio:.2f}"
        lines.append((
            r.backend, r.catalog, r.path, f"{r.c1_ms:.1f}", f"{r.c1_p99_ms:.1f}",
            f"{r.bare_c1_ms:.2f}", f"{r.c1_ratio:.2f}",
            f"{r.rps:,.0f}" if r.rps else "-", f"{r.bare_rps:,.0f}" if r.bare_rps else "-",
            f"{r.rps_ratio:.2f}" if r.rps_ratio else "-", versus,
        ))
    if rows:
        print_rows(lines, connections)
    for backend, rate in rates.items():
        print(f"bulk import on {backend}: {rate:,.0f} products/s (search index built)")


def print_rows(lines: list[tuple[str, ...]], connections: int) -> None:
    header = lines[0]
    widths = [max(width(line[i]) for line in lines) for i in range(len(header))]
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    print("\nSUMMARY\n" + rule)
    for n, line in enumerate(lines):
        print("  ".join(cell + " " * (w - width(cell)) if i < 3 else " " * (w - width(cell)) + cell
                        for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip())
        if n == 0:
            print(rule)
    print(rule)
    print("ratio = the bare endpoint's time / the path's at c=1, the path's req/s / the bare "
          f"endpoint's at c={connections}\n(1.00 = as fast as the bare endpoint); vs demo = "
          "the demo catalog's time / the large one's at c=1, and the large catalog's\n"
          f"c={connections} ratio / the demo catalog's (0.50 = half as fast).")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000,
                        help="products in the catalog [%(default)s]")
    parser.add_argument("--requests", type=int, default=200,
                        help="sequential requests per path at c=1 [%(default)s]")
    parser.add_argument("--connections", type=int, default=16,
                        help="keep-alive connections for throughput [%(default)s]")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds [%(default)s]")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds [%(default)s]")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY [%(default)s]")
    parser.add_argument("--threads", type=int, default=8,
                        help="GUNICORN_THREADS [%(default)s]")
    parser.add_argument("--import-only", action="store_true",
                        help="only the judged queries and the import's products/s")
    parser.add_argument("--database-url",
                        default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server to run on too [$BENCH_DATABASE_URL]")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    print(f"bench/catalog_scale.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
          f"{os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.2f}")
    with terminate_on_sigterm(), tempfile.TemporaryDirectory(prefix="catalog-scale-") as tmp:
        workdir = Path(tmp)
        mean_ndcg, scores = judged_ndcg(workdir)
        print(f"judged queries: {len(scores)}, mean nDCG@10 {mean_ndcg:.3f}"
              + "".join(f"\n  {s:.3f}  {q}" for q, s in scores if s < 1))
        rows: list[Row] = []
        rates: dict[str, float] = {}
        backends = [("SQLite", lambda: f"sqlite:///{workdir / 'catalog.db'}", None)]
        postgres = DatabaseFactory(args.database_url, workdir) if args.database_url else None
        if postgres is not None:
            backends.append(("PostgreSQL", lambda: postgres.create("bench_catalog"), postgres))
        try:
            for backend, new_database, _ in backends:
                print(f"\n== {backend}: the demo catalog, then {args.products:,} products more; "
                      f"gunicorn {args.workers} "
                      f"workers x {args.threads} threads ==")
                backend_rows, rates[backend] = bench_backend(backend, new_database(), args,
                                                             workdir)
                rows.extend(backend_rows)
        finally:
            if postgres is not None:
                postgres.drop_all()
        if postgres is None:
            print("\n(PostgreSQL skipped: set BENCH_DATABASE_URL)")
        print_table(rows, rates, args.connections)
        print(f"judged queries: mean nDCG@10 {mean_ndcg:.3f} over {len(scores)}")
    print(f"total time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
