"""The analytics service as the shared runtime sees it (the one place its ports are
written)."""

from pathlib import Path

from analytics import insights_models  # noqa: F401 - its tables join Base.metadata
from analytics.handlers import handlers
from analytics.models import Base
from analytics.settings import AnalyticsSettings
from analytics.warehouse_job import warehouse_job
from service_runtime.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="analytics",
    app="analytics.app:create_app()",
    api_port=8109,
    worker_port=9109,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=AnalyticsSettings,
    handlers=handlers,
    loops=lambda settings: [warehouse_job(settings)] if settings.duckdb() else [],
)
