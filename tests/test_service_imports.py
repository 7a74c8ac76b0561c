"""Every service can be imported by a process that serves metrics from several gunicorn
workers: gunicorn makes PROMETHEUS_MULTIPROC_DIR only after ``python -m <service> api`` has
imported the service, so a metric that writes its file at import time (one without
labels) stops the API from starting."""

import subprocess
import sys

import pytest

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's


@pytest.mark.parametrize("service", SERVICES)
def test_importing_a_service_writes_no_metrics_file(service, tmp_path):
    not_yet_made = tmp_path / "metrics"
    result = subprocess.run(
        [sys.executable, "-c", f"import {service}.definition, {service}.app"],
        env={"PROMETHEUS_MULTIPROC_DIR": str(not_yet_made), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not not_yet_made.exists()


# -- each process imports no more than it needs (issue 10: memory of `./platform run`) ------

def loaded(code: str, tmp_path, **env: str) -> set[str]:
    """The top-level packages and the ``*.definition`` modules a fresh interpreter has
    loaded after running ``code``."""
    report = "import sys; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\n{report}"],
        env={"SHOP_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
             "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), **env},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    modules = result.stdout.split()
    return {name.split(".")[0] for name in modules} | {
        name for name in modules if name.endswith(".definition")}


API_STACK = {"flask", "werkzeug", "jinja2", "flask_smorest", "apispec", "webargs"}
TOKENS = {"jwt"}


@pytest.mark.parametrize("service", SERVICES)
def test_a_worker_loads_neither_the_api_stack_nor_the_token_machinery(service, tmp_path):
    # What `python -m <service> worker` imports before it connects anywhere.
    modules = loaded(
        f"import {service}.__main__, service_runtime.worker\n"
        f"from {service}.definition import DEFINITION\n"
        "from service_runtime.worker import WorkerProcess\n"
        "settings = WorkerProcess.from_env(DEFINITION)\n"
        "DEFINITION.handlers_for(settings.service)\n"
        "DEFINITION.loops_for(settings.service)", tmp_path)
    assert "kafka" in modules and "sqlalchemy" in modules  # what a worker does need
    assert not modules & (API_STACK | TOKENS)


@pytest.mark.parametrize("service", SERVICES)
def test_an_api_loads_no_kafka_client_and_no_other_service(service, tmp_path):
    modules = loaded(f"import {service}.app\n{service}.app.create_app()", tmp_path)
    assert "flask_smorest" in modules  # what an API does need
    assert "kafka" not in modules
    assert {name for name in modules if name.endswith(".definition")} == {
        f"{service}.definition"}


def test_the_gateway_takes_the_services_ports_without_importing_them(tmp_path):
    modules = loaded("import api_gateway.app\napi_gateway.app.create_app()", tmp_path)
    # Finding a definition's source imports its package's (empty) __init__, no more.
    assert not modules & {"sqlalchemy", "kafka"}
    assert {name for name in modules if name.endswith(".definition")} <= {
        "api_gateway.definition"}


@pytest.mark.parametrize("service", [*SERVICES, "api_gateway"])
def test_the_port_read_from_a_definitions_source_is_the_definitions(service):
    from importlib import import_module

    source_port = subprocess.run(
        [sys.executable, "-c", f"from service_runtime.config import api_port; "
                               f"print(api_port({service!r}))"],
        capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    assert int(source_port) == import_module(f"{service}.definition").DEFINITION.api_port


def test_a_gunicorn_master_loads_no_flask(tmp_path):
    # The master imports the config and the worker class; the app only its workers.
    modules = loaded("import gunicorn.app.wsgiapp, service_runtime.gunicorn_conf, "
                     "service_runtime.gunicorn_worker", tmp_path, PORT="8199")
    assert "gunicorn" in modules
    assert not modules & API_STACK
