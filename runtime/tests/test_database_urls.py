"""Each service finds its own database: ``<SERVICE>_DATABASE_URL``, or ``DATABASE_URL`` with
``{service}`` in it, so one machine running every service never puts two in one database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from service_runtime.config import database_url
from service_runtime.db import Database, create_database_if_missing


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    for name in ("DATABASE_URL", "ORDER_DATABASE_URL", "PAYMENT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOP_DATA_DIR", str(tmp_path))


def test_a_template_gives_every_service_a_database_of_its_own(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://shop@db.internal:5432/shop_{service}")
    assert database_url("order") == "postgresql+psycopg://shop@db.internal:5432/shop_order"
    assert database_url("payment") == "postgresql+psycopg://shop@db.internal:5432/shop_payment"


def test_the_service_variable_wins_over_the_shared_one(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://shop@db.internal/shop_{service}")
    monkeypatch.setenv("ORDER_DATABASE_URL", "postgres://orders@orders-db/orders")
    assert database_url("order") == "postgresql+psycopg://orders@orders-db/orders"
    assert database_url("payment") == "postgresql+psycopg://shop@db.internal/shop_payment"


def test_a_url_without_the_placeholder_is_the_one_database_of_a_one_service_process(
        monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://order:secret@order-db:5432/order")
    assert database_url("order") == "postgresql+psycopg://order:secret@order-db:5432/order"


def test_without_any_a_sqlite_file_per_service_in_the_data_dir(tmp_path):
    assert database_url("order") == f"sqlite:///{tmp_path / 'order.db'}"
    assert database_url("payment") != database_url("order")


def test_a_missing_database_is_created_once(database_factory, tmp_path):
    if database_factory.backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'made.db'}"
        assert create_database_if_missing(url) is False  # the file is made on first use
    else:
        url = database_factory.create("made")  # an existing one: left alone
        assert create_database_if_missing(url) is False
        name = f"{make_url(url).database}_new"
        url = make_url(url).set(database=name).render_as_string(hide_password=False)
        database_factory.created.append(name)  # dropped at the end of the session
        assert create_database_if_missing(url) is True
        assert create_database_if_missing(url) is False
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()
