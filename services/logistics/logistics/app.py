"""``create_app()`` builds the logistics API; nothing connects until a request arrives.

Its settings (carrier secrets, the callback age limit, transit days) are read here once
unless given.
"""

from flask import Flask

from logistics.api import admin, blp, callbacks
from logistics.definition import DEFINITION
from logistics.settings import LogisticsSettings
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None,
               settings: LogisticsSettings | None = None) -> Flask:
    return create_service_api(DEFINITION, blueprints=[blp, admin, callbacks],
                              database=database, config=config, title="Logistics service",
                              settings=settings)
