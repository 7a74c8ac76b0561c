"""``create_app()`` builds the marketing API; nothing connects until a request arrives."""

from flask import Flask

from marketing.api import admin, blp, internal
from marketing.definition import DEFINITION
from marketing.flash_api import flash, flash_admin
from marketing.group_buy_api import group_buys_admin, group_buys_blp
from marketing.settings import MarketingSettings
from service_runtime.app import create_service_api


def create_app(config: dict | None = None, database: str | None = None,
               settings: MarketingSettings | None = None) -> Flask:
    return create_service_api(DEFINITION,
                              blueprints=[blp, admin, internal, group_buys_blp, group_buys_admin,
                                          flash, flash_admin],
                              database=database, config=config, title="Marketing service",
                              settings=settings)
