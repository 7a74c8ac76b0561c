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


DEFINITION = ServiceDefinition(
    name="catalog",
    app="catalog.app:create_app()",
    api_port=8102,
    worker_port=9102,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers,
    commands=[load_demo_catalog],
)
