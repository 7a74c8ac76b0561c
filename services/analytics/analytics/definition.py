"""The analytics service as the shared runtime sees it (the one place its ports are
written)."""

from pathlib import Path

from analytics import webhooks
from analytics.handlers import handlers_for
from analytics.models import Base
from analytics.recs_jobs import view_counter
from analytics.recs_models import RecPair  # noqa: F401  (its tables join Base.metadata)
from analytics.settings import AnalyticsSettings
from service_runtime.service import LoopFactory, ServiceDefinition


def worker_loops(settings: AnalyticsSettings) -> list[LoopFactory]:
    """The middle-platform feed's partner webhooks; recommendations' views counted past a
    cursor."""
    return [*webhooks.loops(settings), view_counter]


DEFINITION = ServiceDefinition(
    name="analytics",
    app="analytics.app:create_app()",
    api_port=8109,
    worker_port=9109,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    settings=AnalyticsSettings,
    handlers=handlers_for,
    loops=worker_loops,
)
