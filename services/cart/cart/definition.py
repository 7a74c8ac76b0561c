"""The cart service as the shared runtime sees it."""

from pathlib import Path

from cart.handlers import handlers
from cart.models import Base
from cart.settings import CartSettings
from service_runtime.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="cart",
    app="cart.app:create_app()",
    api_port=8103,
    worker_port=9103,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=CartSettings,
    handlers=handlers,
)
