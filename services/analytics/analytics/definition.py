"""The analytics service as the shared runtime sees it (the one place its ports are
written)."""

from pathlib import Path

from analytics import (
    export_models,  # noqa: F401 - its tables join Base.metadata
    insights_models,  # noqa: F401 - its tables join Base.metadata
    webhooks,
)
from analytics.demo_history_job import demo_history_job
from analytics.demo_models import DemoHistory  # noqa: F401  (its table joins Base.metadata)
from analytics.export_cli import export_command, import_tags_command
from analytics.handlers import handlers_for
from analytics.models import Base
from analytics.recs_jobs import view_counter
from analytics.recs_models import RecPair  # noqa: F401  (its tables join Base.metadata)
from analytics.recs_retention import counted_pruner
from analytics.risk_retention import signal_pruner
from analytics.settings import AnalyticsSettings
from analytics.warehouse_job import warehouse_job
from service_runtime.service import LoopFactory, ServiceDefinition


def worker_loops(settings: AnalyticsSettings) -> list[LoopFactory]:
    """The middle-platform feed's partner webhooks; recommendations' views counted past a
    cursor, and what they counted forgotten after a while; risk signals no rule reads any
    more deleted; the demo history, when asked for; the Parquet copy the DuckDB engine
    reads, when it is the engine."""
    loops = [*webhooks.loops(settings), view_counter, counted_pruner(settings),
             signal_pruner(settings)]
    if settings.demo_history_days:  # ./platform run's demo data
        loops.append(demo_history_job(settings))
    return [*loops, warehouse_job(settings)] if settings.duckdb() else loops


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
    commands=[export_command, import_tags_command],
)
