"""The catalog service as the shared runtime sees it."""

from pathlib import Path

import click

from catalog.handlers import handlers
from catalog.models import Base
from service_runtime.config import database_url
from service_runtime.db import Database
from service_runtime.service import ServiceDefinition


@click.command("load-demo-catalog", help="Load the demo categories and products (idempotent).")
def load_demo_catalog() -> None:
    from catalog import demo
    from catalog.products import load_catalog

    db = Database(database_url("catalog"))
    try:
        categories, products = load_catalog(db, demo.categories(), demo.products())
    finally:
        db.dispose()
    click.echo(f"catalog: {categories} categories and {products} products added")


@click.command("import-products", help="Import products from an NDJSON file, one product a "
                                        "line as POST /admin/products takes it. The file is "
                                        "validated whole first; products already there (by "
                                        "their first SKU) are skipped, so a run that stopped "
                                        "part-way can simply be run again.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_products(file: Path) -> None:
    import json

    from catalog.importing import import_catalog
    from catalog.schemas import NewProductSchema
    from service_runtime import ndjson
    from service_runtime.errors import Problem

    db = Database(database_url("catalog"))
    try:
        lines = ndjson.parse_lines(file.read_text(encoding="utf-8"), NewProductSchema(),
                                   CLI_MAX_LINES, "product file")
        result = import_catalog(db, [], lines)
    except Problem as error:  # a bad line, an unknown category, a taken SKU code
        raise click.ClickException(f"{error}: {json.dumps(error.extra, ensure_ascii=False)}") \
            from error
    finally:
        db.dispose()
    click.echo(f"catalog: {result.products_added} products added, "
               f"{result.products_skipped} already there")


CLI_MAX_LINES = 1_000_000


DEFINITION = ServiceDefinition(
    name="catalog",
    app="catalog.app:create_app()",
    api_port=8102,
    worker_port=9102,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers,
    commands=[load_demo_catalog, import_products],
)
