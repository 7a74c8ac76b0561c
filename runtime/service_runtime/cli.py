"""One command line for every service: ``python -m <service> <command>``.

``api`` and ``worker`` read every setting their process will use before starting it, so
a bad value stops them at once with a message naming each bad variable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

import click

from service_runtime.config import HttpSettings, KafkaSettings, database_url
from service_runtime.db import Database
from service_runtime.launcher import in_preloaded_fork
from service_runtime.logs import configure_logging
from service_runtime.service import ServiceDefinition
from service_runtime.settings import Environment, InvalidSettings, Settings

T = TypeVar("T")


def read_settings(read: Callable[[], T]) -> T:
    """``read()``, with bad settings as a usage error (exit 2) naming each variable."""
    try:
        return read()
    except InvalidSettings as error:
        raise click.UsageError(str(error)) from error


def check_settings(*classes: type[Settings]) -> None:
    environment = Environment()
    for settings in classes:
        settings.read(environment)
    environment.check()


def build_cli(definition: ServiceDefinition) -> click.Group:
    @click.group(help=f"The {definition.name} service.")
    def cli() -> None:
        read_settings(lambda: configure_logging(definition.name))

    @cli.command(help="Serve the HTTP API with gunicorn.")
    @click.option("--port", type=int, default=None)
    def api(port: int | None) -> None:
        # Here, not at the top: a worker has no tokens to check, and the token machinery
        # (PyJWT, cryptography, requests) would cost it about 10 MB.
        from service_runtime.auth import AuthSettings

        needed = [HttpSettings, AuthSettings, definition.settings]
        read_settings(lambda: check_settings(
            *needed, *([KafkaSettings] if definition.stateful else [])))
        if port is not None or not os.environ.get("PORT"):
            os.environ["PORT"] = str(port or definition.api_port)
        args = ["gunicorn", "-c", "python:service_runtime.gunicorn_conf", definition.app]
        if in_preloaded_fork() and HttpSettings.from_env().workers == 1:
            # The launcher imported this API's code before forking us: a new interpreter
            # would import it all again, unshared. (Several workers need Prometheus'
            # multiprocess mode, which is chosen when prometheus_client is imported.)
            from gunicorn.app.wsgiapp import run

            sys.argv = args
            run(prog="gunicorn")
            return
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
        from service_runtime.worker import WorkerProcess, run_worker

        settings = read_settings(lambda: WorkerProcess.from_env(definition))
        sys.exit(run_worker(definition, settings))

    if definition.handlers is not None:

        @cli.command(name="replay-dead-letters", help="Run dead letters through the handler again.")
        def replay_dead_letters() -> None:
            from service_runtime.dead_letters import replay
            from service_runtime.worker import WorkerProcess, build_consumer

            settings = read_settings(lambda: WorkerProcess.from_env(definition))
            db = Database(database_url(definition.name))
            consumer = build_consumer(definition, db, settings)
            result = replay(settings.kafka, settings.consumer_group(definition),
                            consumer.handle_record)
            consumer.dead_letters.close()
            click.echo(f"replayed {result.replayed}, failed again {result.failed_again}")
            # The dead letters of its inbound topics (other systems' records) too.
            for inbound in definition.inbound:
                from service_runtime.inbound_consumer import InboundConsumer

                reader = InboundConsumer(definition.name, db, inbound, settings.kafka,
                                         settings.delivery)
                result = replay(settings.kafka, reader.group, reader.handle_record)
                reader.dead_letters.close()
                click.echo(f"{inbound.name}: replayed {result.replayed}, "
                           f"failed again {result.failed_again}")
    return cli
