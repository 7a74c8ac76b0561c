"""The logistics service as the shared runtime sees it: its tables, migrations, handlers."""

from pathlib import Path

from logistics.handlers import handlers_for
from logistics.models import Base
from logistics.settings import LogisticsSettings
from service_runtime.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="logistics",
    app="logistics.app:create_app()",
    api_port=8106,
    worker_port=9106,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=LogisticsSettings,
    handlers=handlers_for,
)
