"""``create_app()`` builds the order API; nothing connects until a request arrives.

Its settings (``OrderSettings``) are read from the environment here, once, unless given.
"""

from flask import Flask

from order.admin_api import admin
from order.api import blp, checkout_blp
from order.definition import DEFINITION
from order.group_api import group_blp
from order.settings import OrderSettings
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None,
               settings: OrderSettings | None = None) -> Flask:
    return create_service_api(DEFINITION, blueprints=[blp, checkout_blp, admin, group_blp],
                              database=database, config=config, settings=settings)
