"""The runtime's own commands: ``python -m service_runtime new-service <name> --port N``."""

from __future__ import annotations

from pathlib import Path

import click

from service_runtime.scaffold import ScaffoldError, new_service

NEXT_STEPS = """
Next (docs/new-service.md says why):
  python -m event_contracts.compat            # snapshot the new event's schema
  ./platform install                          # installs services/{name}
  python deploy/k8s/generate.py               # its Deployments, Service and Job
  ./platform test services/{name}
"""


@click.group()
def main() -> None:
    """Commands of the shared runtime."""


@main.command("new-service")
@click.argument("name")
@click.option("--port", "api_port", type=int, required=True, help="Its API's port.")
@click.option("--worker-port", type=int, default=None,
              help="Its worker's ops port (default: the API port + 1000).")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The checkout to write into.")
def new_service_command(name: str, api_port: int, worker_port: int | None, root: Path) -> None:
    """Write a new service's skeleton: API, worker, migration, event, tests."""
    try:
        written = new_service(root, name, api_port, worker_port)
    except ScaffoldError as error:
        raise click.UsageError(str(error)) from error
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(NEXT_STEPS.format(name=name))


if __name__ == "__main__":
    main()
