"""The after-sales service as the shared runtime sees it."""

from pathlib import Path

from aftersales.handlers import handlers
from aftersales.models import Base
from aftersales.settings import AftersalesSettings
from service_runtime.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="aftersales",
    app="aftersales.app:create_app()",
    api_port=8107,
    worker_port=9107,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=AftersalesSettings,
    handlers=handlers,
)
