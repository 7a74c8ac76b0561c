"""docker-compose.yml runs what the Kubernetes manifests run: the same processes under
the same names with the same variables, a database each, real Kafka in KRaft mode."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from api_gateway.routes import SERVICES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy/k8s"))
import cluster  # noqa: E402  (deploy/k8s is no package)
import validate  # noqa: E402


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


@pytest.fixture(scope="module")
def workloads() -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in validate.render(ROOT / "deploy/k8s/base")
            if d["kind"] in ("Deployment", "Job")}


def k8s_variables(workload: dict, config_maps: dict[str, set[str]]) -> set[str]:
    container = workload["spec"]["template"]["spec"]["containers"][0]
    names = {item["name"] for item in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:  # an optional one the cluster may lack sets nothing
            names |= config_maps.get(source["configMapRef"]["name"], set())
    return names


def test_every_workload_runs_with_the_same_command_and_variables(compose, workloads):
    config_maps = {d["metadata"]["name"]: set(d["data"])
                   for d in validate.render(ROOT / "deploy/k8s/base") if d["kind"] == "ConfigMap"}
    assert set(compose) == {*workloads, "kafka", "postgres"}
    assert {f"{s}-{p}" for s in SERVICES for p in ("migrate", "api", "worker")} <= set(compose)
    for name, workload in workloads.items():
        container = workload["spec"]["template"]["spec"]["containers"][0]
        service = compose[name]
        assert service["image"] == container["image"]
        assert [*service["entrypoint"], *service["command"]] == \
            [*container["command"], *container["args"]]
        assert set(service["environment"]) == k8s_variables(workload, config_maps), name


def test_each_service_migrates_its_own_database_before_it_runs(compose):
    sql = (ROOT / "deploy/compose/init-databases.sql").read_text()
    for name in SERVICES:
        assert f'CREATE DATABASE "{name}";' in sql
        for process in ("migrate", "api", "worker"):
            service = compose[f"{name}-{process}"]
            url = urlsplit(service["environment"]["DATABASE_URL"])
            assert (url.hostname, url.path) == ("postgres", f"/{name}")
            assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
        for process in ("api", "worker"):
            assert compose[f"{name}-{process}"]["depends_on"][f"{name}-migrate"] == {
                "condition": "service_completed_successfully"}
            assert compose[f"{name}-{process}"]["depends_on"]["kafka"] == {
                "condition": "service_healthy"}
            assert compose[f"{name}-{process}"]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == \
                "kafka:9092"


def test_every_called_url_names_a_compose_service_on_its_port(compose):
    checked = 0
    for name, service in compose.items():
        for variable, value in service.get("environment", {}).items():
            if not cluster.is_call(variable):
                continue
            url = urlsplit(value)
            assert url.hostname in compose, f"{name}: {variable}={value}"
            assert compose[url.hostname]["environment"]["PORT"] == str(url.port)
            checked += 1
    assert checked >= len(SERVICES) * 2


def test_the_start_order_has_no_cycle(compose):
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for needed in compose[name].get("depends_on", {}):
                visit(needed, (*path, name))
            done.add(name)

    for name in compose:
        visit(name, ())
    assert "gateway" in compose["web"]["depends_on"]
    assert {f"{s}-api" for s in SERVICES} <= set(compose["gateway"]["depends_on"])


def test_kafka_runs_in_kraft_mode_and_only_the_front_is_published(compose):
    kafka = compose["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"] and "zookeeper" not in compose
    assert "KAFKA_ZOOKEEPER_CONNECT" not in kafka
    assert {name for name, service in compose.items() if "ports" in service} == {
        "gateway", "gateway-flash", "web"}
