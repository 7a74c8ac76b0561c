"""Every container of the rendered Kubernetes manifests sets each variable whose default
only works on a laptop (``service_runtime.config.LAPTOP_DEFAULTS``), and no localhost
default hides from that registry."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's
from service_runtime.config import EVERY_SERVICE, LAPTOP_DEFAULTS, LaptopDefault, Process

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["service_runtime", "api_gateway", "shop_web", *SERVICES]
STATELESS = {"gateway", "web"}
# Workloads that run another's code, so read its variables: the gateway's flash-sale pool.
RUNS_THE_CODE_OF = {"gateway-flash": "gateway"}
# Modules not imported to collect declarations: a command line that runs when imported,
# gunicorn's config (its module-level code is for gunicorn's process), test helpers.
NOT_IMPORTED = ("__main__", "service_runtime.gunicorn_conf", "service_runtime.testing")
# Localhost literals that are not defaults of a deployment's variables.
NOT_DEPLOYMENT_DEFAULTS = {
    "runtime/service_runtime/broker.py": "the embedded broker only ever runs on a laptop",
    "runtime/service_runtime/kafka.py": "a bootstrap address without a host means this one",
    "runtime/service_runtime/wake.py": "wake sockets only ever wake loops on the same machine",
}
LOCAL_HOSTS = ("127.0.0.1", "localhost")
KUBERNETES_PROCESS = {"api": Process.API, "worker": Process.WORKER, "migration": Process.MIGRATE}


def import_everything() -> None:
    """Import every shipped module, so every ``laptop_default`` declaration has run."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if not any(part in info.name for part in NOT_IMPORTED):
                importlib.import_module(info.name)


@dataclass(frozen=True)
class Container:
    where: str
    service: str
    process: Process
    variables: frozenset[str]


def config_maps() -> dict[str, set[str]]:
    maps = {}
    for path in (ROOT / "deploy/k8s/base").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == "ConfigMap":
                maps[doc["metadata"]["name"]] = set(doc.get("data", {}))
    return maps


def rendered_containers() -> Iterator[Container]:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "deploy/k8s/generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    maps = config_maps()
    for path, text in generate.outputs().items():
        if path.suffix != ".yaml":  # docker-compose.yml, the databases' SQL: not manifests
            continue
        for doc in yaml.safe_load_all(text):
            if doc["kind"] not in ("Deployment", "Job"):
                continue
            labels = doc["metadata"]["labels"]
            for container in doc["spec"]["template"]["spec"]["containers"]:
                names = {item["name"] for item in container.get("env", [])}
                for source in container.get("envFrom", []):
                    ref = source.get("configMapRef")
                    if ref and not ref.get("optional"):  # optional Secrets may hold nothing
                        names |= maps[ref["name"]]
                name = labels["app.kubernetes.io/name"]
                yield Container(f"{path.name}: {doc['metadata']['name']}/{container['name']}",
                                RUNS_THE_CODE_OF.get(name, name),
                                KUBERNETES_PROCESS[labels["app.kubernetes.io/component"]],
                                frozenset(names))


def reads(entry: LaptopDefault, container: Container) -> bool:
    stateful = container.service not in STATELESS
    return any(process == container.process
               and (service == container.service or (service == EVERY_SERVICE and stateful))
               for service, process in entry.read_by)


def test_every_container_sets_the_variables_whose_defaults_only_work_on_a_laptop():
    import_everything()
    containers = list(rendered_containers())
    assert {c.service for c in containers} == {*SERVICES, *STATELESS}
    missing = []
    for entry in LAPTOP_DEFAULTS.values():
        for container in filter(lambda c: reads(entry, c), containers):
            accepted = {name.replace("{SERVICE}", container.service.upper())
                        for name in (entry.name, *entry.alternatives)}
            if not accepted & container.variables:
                missing.append(f"{container.where} lacks {entry.name} "
                               f"(default {entry.default})")
    assert missing == []


def test_the_registry_holds_the_known_laptop_defaults():
    import_everything()
    known = {"AUTH_JWKS_URL", "KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "HOST", "WORKER_HOST",
             "CART_SERVICE_URL", "USER_SERVICE_URL", "PAYMENT_PUBLIC_URL", "PAYMENT_NOTIFY_URL",
             *(f"{name.upper()}_SERVICE_URL" for name in SERVICES)}
    assert known - set(LAPTOP_DEFAULTS) == set()


def test_a_container_without_the_jwks_url_is_caught():
    """The check above can fail: a gateway without AUTH_JWKS_URL is reported."""
    entry = LAPTOP_DEFAULTS.get("AUTH_JWKS_URL") or pytest.fail("AUTH_JWKS_URL not declared")
    bare = Container("gateway", "gateway", Process.API, frozenset({"PORT", "HOST"}))
    assert reads(entry, bare) and not {entry.name} & bare.variables
    worker = Container("order-worker", "order", Process.WORKER, frozenset())
    assert not reads(entry, worker)


def shipped_sources() -> Iterator[Path]:
    roots = [ROOT / "runtime/service_runtime", ROOT / "gateway/api_gateway", ROOT / "web/shop_web",
             *(ROOT / "services" / name / name for name in SERVICES)]
    for root in roots:
        for path in root.rglob("*.py"):
            if "testing" not in path.relative_to(root).parts:
                yield path


def localhost_literals_outside_declarations(tree: ast.AST) -> list[int]:
    declared: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "laptop_default":
            declared.update(id(inner) for inner in ast.walk(node))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and any(host in node.value for host in LOCAL_HOSTS) and id(node) not in declared]


def test_every_localhost_default_in_the_code_is_declared():
    undeclared = []
    for path in shipped_sources():
        relative = path.relative_to(ROOT).as_posix()
        if relative in NOT_DEPLOYMENT_DEFAULTS:
            continue
        lines = localhost_literals_outside_declarations(ast.parse(path.read_text()))
        undeclared.extend(f"{relative}:{line}" for line in lines)
    assert undeclared == [], "declare these with service_runtime.config.laptop_default"


def test_the_scan_sees_an_undeclared_localhost_default():
    code = ('URL = env_str("X_URL", "http://127.0.0.1:9999")\n'
            'OK = laptop_default("Y_URL", f"http://localhost:{port}", read_by=[])\n')
    assert localhost_literals_outside_declarations(ast.parse(code)) == [1]
