"""The one image recipe (Dockerfile) builds every service, and deploy/k8s runs its images.

No Docker engine in the test environment: these read the Dockerfile and check what a build
depends on against the repository, and run the build's own port check with this venv.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
sys.path.insert(0, str(ROOT / "deploy/k8s"))
import generate  # noqa: E402  (deploy/k8s/generate.py: the services and their ports)

# What deploy/k8s deploys, and the PORT build argument each image is built with.
BUILDS: dict[str, int] = {name: api for name, (api, _worker) in generate.SERVICES.items()}
BUILDS["gateway"] = generate.GATEWAY_PORT
BUILDS["web"] = generate.WEB_PORT


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    result: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            result.append([])
        result[-1].append((instruction.upper(), arguments.strip()))
    return result


def instructions(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [arguments for instruction, arguments in stage if instruction == name]


def source_dir(service: str) -> Path:
    """Where the recipe's `case "$SERVICE"` finds a service's package."""
    return ROOT / (service if service in ("gateway", "web") else f"services/{service}")


def entry_module(service: str) -> str:
    """The module `shop-<service>` (the image's shop-service entrypoint) runs."""
    pyproject = tomllib.loads((source_dir(service) / "pyproject.toml").read_text())
    scripts = pyproject["project"]["scripts"]
    return scripts[f"shop-{service}"].split(":")[0].removesuffix(".__main__")


def test_the_recipe_is_multi_stage_and_the_runtime_stage_gets_only_the_venv():
    builder, runtime = stages()
    assert instructions(builder, "FROM")[0].endswith(" AS builder")
    assert "pip install" not in " ".join(instructions(runtime, "RUN"))
    assert instructions(runtime, "COPY") == ["--from=builder /opt/venv /opt/venv"]


def test_both_stages_declare_the_build_arguments_and_the_build_requires_them():
    for stage in stages():
        assert {"SERVICE", "PORT"} <= set(instructions(stage, "ARG"))
    builder_runs = " ".join(instructions(stages()[0], "RUN"))
    assert 'test -n "$SERVICE" -a -n "$PORT"' in builder_runs


def test_the_builder_installs_with_the_lock_as_constraints():
    builder = stages()[0]
    assert "requirements.lock ./" in instructions(builder, "COPY")
    installs = [run for run in instructions(builder, "RUN") if "pip install" in run]
    assert installs and all("-c requirements.lock" in run for run in installs)
    # Production images carry no embedded broker and no test tools.
    assert all("[" not in run.split("pip install", 1)[1] for run in installs)


def test_every_copied_path_exists_and_is_in_the_build_context():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for copy in instructions(stages()[0], "COPY"):
        source = copy.split()[0].rstrip("/")
        assert (ROOT / source).exists(), source
        assert source not in ignored, f"{source} is excluded by .dockerignore"


def test_the_image_runs_as_the_non_root_user_the_pods_require():
    runtime = stages()[-1]
    assert instructions(runtime, "USER") == ["10001:10001"]
    assert "runAsUser: 10001" in generate.POD_SECURITY
    assert "runAsNonRoot: true" in generate.POD_SECURITY
    assert instructions(runtime, "ENTRYPOINT") == ['["shop-service"]']
    assert instructions(runtime, "CMD") == ['["api"]']


def builder_port_check() -> str:
    return next(run for run in instructions(stages()[0], "RUN") if run.startswith("python -c"))


def test_every_deployed_service_can_be_built_by_the_recipe():
    """Its package is where the recipe looks, it has the shop-<name> command the entrypoint
    links to, and its PORT build argument passes the recipe's check against its definition."""
    port_check = builder_port_check()
    venv_bin = str(Path(sys.executable).parent)
    for service, port in BUILDS.items():
        assert (source_dir(service) / "pyproject.toml").exists(), service
        assert entry_module(service)
        env = {**os.environ, "SERVICE": service, "PORT": str(port),
               "PATH": venv_bin + os.pathsep + os.environ["PATH"]}
        result = subprocess.run(["sh", "-c", port_check], env=env, capture_output=True, text=True)
        assert result.returncode == 0, f"{service}: {result.stderr}"


def test_the_port_check_refuses_a_port_the_service_does_not_listen_on():
    port_check = builder_port_check()
    env = {**os.environ, "SERVICE": "order", "PORT": str(BUILDS["user"]),
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    result = subprocess.run(["sh", "-c", port_check], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "order listens on 8104" in result.stderr


def k8s_containers() -> list[dict]:
    containers = []
    for path in (ROOT / "deploy/k8s/base").rglob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text()):
            template = (document or {}).get("spec", {}).get("template", {})
            containers += template.get("spec", {}).get("containers", [])
    return containers


def test_every_k8s_container_runs_an_image_the_recipe_builds_with_its_entrypoint():
    containers = k8s_containers()
    images = {container["image"] for container in containers}
    assert images == {f"shop-{service}" for service in BUILDS}
    for container in containers:
        service = re.fullmatch(r"shop-(.+)", container["image"]).group(1)
        # The image's package: its entry module, or another of its command lines (the
        # gateway's flash-sale pool is api_gateway.flash_pool).
        python, flag, module = container["command"]
        assert (python, flag) == ("python", "-m"), container["name"]
        assert module == entry_module(service) or (
            module.startswith(f"{entry_module(service)}.")
            and importlib.util.find_spec(module) is not None), container["name"]


def test_the_production_overlay_tags_every_image_the_recipe_builds():
    path = ROOT / "deploy/k8s/overlays/production/kustomization.yaml"
    overlay = yaml.safe_load(path.read_text())
    assert {image["name"] for image in overlay["images"]} == {f"shop-{name}" for name in BUILDS}
