"""``python -m service_runtime new-service`` writes a service that works as written: its
migration runs on a fresh database, its app answers /healthz, its routes and its OpenAPI
document, its worker's handler applies an event once, and its own tests pass. Nothing is
installed: the generated package is imported from where it was written."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service_runtime.scaffold import ScaffoldError, new_service

ROOT = Path(__file__).resolve().parents[2]
# Loads the generated event schema into the registry, as importing event_contracts.events
# does once the new module is part of the installed contracts package.
REGISTER_CONTRACT = """
import importlib.util, os
spec = importlib.util.spec_from_file_location("generated_contract", os.environ["NEW_CONTRACT"])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """What a new service extends: contracts, the Procfile, the topics, the definitions."""
    root = tmp_path / "shop"
    shutil.copytree(ROOT / "contracts/event_contracts", root / "contracts/event_contracts",
                    ignore=shutil.ignore_patterns("__pycache__", "snapshots"))
    for path in ["Procfile", "deploy/k8s/kafka/topics.yaml", "deploy/k8s/base/kustomization.yaml",
                 "gateway/api_gateway/definition.py",
                 *(p.relative_to(ROOT) for p in ROOT.glob("services/*/*/definition.py"))]:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, root / path)
    return root


def generate(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service_runtime", "new-service", *args,
                           "--root", str(root)], capture_output=True, text=True, timeout=60)


def test_the_generated_service_passes_its_own_tests(checkout, tmp_path):
    result = generate(checkout, "shelf", "--port", "8190")
    assert result.returncode == 0, result.stderr
    plugin = tmp_path / "plugins" / "register_contract.py"
    plugin.parent.mkdir()
    plugin.write_text(REGISTER_CONTRACT)
    service = checkout / "services/shelf"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(service), str(plugin.parent)]),
           "NEW_CONTRACT": str(checkout / "contracts/event_contracts/events/shelf.py")}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", str(service / "tests"), "-q", "-p", "register_contract",
         "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning"],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert re.search(r"^9 passed", tests.stdout, re.M), tests.stdout[-1000:]


def test_the_generated_code_is_lint_clean(checkout):
    new_service(checkout, "wishlist", 8190)
    first_party = '["event_contracts", "service_runtime", "wishlist"]'
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"),
         "--config", f"lint.isort.known-first-party={first_party}",
         str(checkout / "services/wishlist"), str(checkout / "contracts")],
        capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout


def test_it_writes_the_service_its_contract_processes_and_topics(checkout):
    written = new_service(checkout, "shelf", 8190)
    package = checkout / "services/shelf/shelf"
    assert {path.name for path in package.iterdir()} >= {
        "__main__.py", "definition.py", "app.py", "api.py", "schemas.py", "domain.py",
        "models.py", "notes.py", "handlers.py", "settings.py", "migrations"}
    assert (package / "migrations/shelf_0001_notes.py").exists()
    assert "api_port=8190,\n    worker_port=9190," in (package / "definition.py").read_text()
    procfile = (checkout / "Procfile").read_text()
    assert procfile.endswith("shelf-api: exec env -u PORT python -m shelf api\n"
                             "shelf-worker: exec python -m shelf worker\n")
    topics = (checkout / "deploy/k8s/kafka/topics.yaml").read_text()
    assert "topicName: ShelfNoteCreated" in topics and "topicName: shelf.dead-letters" in topics
    kustomization = (checkout / "deploy/k8s/base/kustomization.yaml").read_text()
    assert kustomization.endswith("  - services/analytics.yaml\n  - services/shelf.yaml\n")
    events = checkout / "contracts/event_contracts/events/__init__.py"
    registered = ast.parse(events.read_text())
    imported = {alias.name for node in registered.body if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert {"payment", "shelf", "user"} <= imported
    assert '"shelf"' in events.read_text()
    assert {events, checkout / "Procfile"} <= set(written)


@pytest.mark.parametrize(("name", "port", "why"), [
    ("Shelf", 8190, "lowercase letters and digits"),
    ("s", 8190, "lowercase letters and digits"),
    ("shelf", 8103, "port 8103 is the cart service's"),
    ("shelf", 8080, "port 8080 is the api_gateway service's"),
    ("cart", 8190, "would overwrite"),
])
def test_it_refuses_and_writes_nothing(checkout, name, port, why):
    procfile = (checkout / "Procfile").read_text()
    (checkout / "services/cart/cart/api.py").write_text("# the cart's own\n")
    with pytest.raises(ScaffoldError, match=why):
        new_service(checkout, name, port)
    assert (checkout / "Procfile").read_text() == procfile
    assert (checkout / "services/cart/cart/api.py").read_text() == "# the cart's own\n"
    assert not (checkout / "services/shelf").exists()
