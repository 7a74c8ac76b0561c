"""One command line for every service: ``python -m <service> <command>``."""

from __future__ import annotations

import os
import sys

import click

from service_runtime.config import KafkaSettings, database_url
from service_runtime.db import Database
from service_runtime.logs import configure_logging
from service_runtime.service import ServiceDefinition


def build_cli(definition: ServiceDefinition) -> click.Group:
    @click.group(help=f"The {definition.name} service.")
    def cli() -> None:
        configure_logging(definition.name)

    @cli.command(help="Serve the HTTP API with gunicorn.")
    @click.option("--port", type=int, default=None)
    def api(port: int | None) -> None:
        os.environ["PORT"] = str(port or os.environ.get("PORT") or definition.api_port)
        args = ["gunicorn", "-c", "python:service_runtime.gunicorn_conf", definition.app]
        os.execvp(sys.executable, [sys.executable, "-m", *args])

    for command in definition.commands:
        cli.add_command(command)
    if not definition.stateful:
        return cli

    @cli.command(help="Apply database migrations (runtime and service branches).")
    @click.option("--create-database", is_flag=True,
                  help="First create the PostgreSQL database if it does not exist.")
    def migrate(create_database: bool) -> None:
        from service_runtime.db import create_database_if_missing
        from service_runtime.migrate import upgrade

        url = database_url(definition.name)
        if create_database and create_database_if_missing(url):
            click.echo(f"{definition.name}: created the database")
        upgrade(definition, url)
        click.echo(f"{definition.name}: database is up to date")

    @cli.command(help="Run the outbox relay and the event consumer until SIGTERM.")
    def worker() -> None:
        from service_runtime.worker import run_worker

        sys.exit(run_worker(definition))

    if definition.handlers is not None:

        @cli.command(name="replay-dead-letters", help="Run dead letters through the handler again.")
        def replay_dead_letters() -> None:
            from service_runtime.dead_letters import replay
            from service_runtime.worker import build_consumer

            db = Database(database_url(definition.name))
            consumer = build_consumer(definition, db)
            result = replay(KafkaSettings.from_env(), definition.consumer_group,
                            consumer.handle_record)
            consumer.dead_letters.close()
            click.echo(f"replayed {result.replayed}, failed again {result.failed_again}")
    return cli
