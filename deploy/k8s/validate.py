"""Render the kustomize overlays and validate every object offline.

    .venv/bin/python deploy/k8s/validate.py [deploy/k8s/overlays/production ...]

Rendering: ``kubectl kustomize`` or ``kustomize build`` when either is on PATH, else the
subset of kustomize these manifests use, in Python (``resources`` recursively,
``namespace``, ``images``, ``replicas``); tests/test_cluster_policies.py compares the two
where a binary exists. Validation: the built-in kinds against the Kubernetes API schemas
kubernetes-validate bundles, the custom resources (Strimzi, Prometheus Operator, KEDA)
against the vendored subsets of their CRDs' openAPIV3Schema in ``schemas/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent
OVERLAYS = [HERE / "overlays/production"]
# Kubernetes version the built-in kinds are checked against (bundled with the package).
KUBERNETES_VERSION = "1.30.0"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding",
                  "CustomResourceDefinition", "PersistentVolume", "StorageClass"}
# group/version + kind -> vendored schema (a subset of the CRD's openAPIV3Schema).
CUSTOM_SCHEMAS = {
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): "kafkatopic.kafka.strimzi.io_v1beta2.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject.keda.sh_v1alpha1.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "podmonitor.monitoring.coreos.com_v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"):
        "prometheusrule.monitoring.coreos.com_v1.json",
}


def kustomize_binary() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def render_with_binary(directory: Path, command: list[str]) -> list[dict]:
    out = subprocess.run([*command, str(directory)], capture_output=True, text=True,
                         check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def render_in_python(directory: Path) -> list[dict]:
    """The kustomize features these kustomizations use, nothing more."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    documents: list[dict] = []
    for resource in spec.get("resources", []):
        path = (directory / resource).resolve()
        if path.is_dir():
            documents.extend(render_in_python(path))
        else:
            documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    if "namespace" in spec:
        for doc in documents:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = spec["namespace"]
    images = {image["name"]: image for image in spec.get("images", [])}
    counts = {item["name"]: item["count"] for item in spec.get("replicas", [])}
    for doc in documents:
        if doc["kind"] in ("Deployment", "StatefulSet") and doc["metadata"]["name"] in counts:
            doc["spec"]["replicas"] = counts[doc["metadata"]["name"]]
        template = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in template.get("containers", []):
            image = images.get(container["image"].split(":")[0])
            if image:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    return documents


def render(directory: Path) -> list[dict]:
    command = kustomize_binary()
    return render_with_binary(directory, command) if command else render_in_python(directory)


def custom_validator(api_version: str, kind: str) -> jsonschema.Draft7Validator | None:
    name = CUSTOM_SCHEMAS.get((api_version, kind))
    if name is None:
        return None
    return jsonschema.Draft7Validator(json.loads((HERE / "schemas" / name).read_text()))


def problems(doc: dict) -> list[str]:
    """Why the object would be refused (empty: it validates)."""
    where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    group = doc.get("apiVersion", "").split("/")[0]
    # A custom resource: built-in groups have no dots or end in k8s.io.
    if "." in group and not group.endswith("k8s.io"):
        validator = custom_validator(doc["apiVersion"], doc["kind"])
        if validator is None:
            return [f"{where}: no vendored schema for {doc['apiVersion']} {doc['kind']}"]
        return [f"{where}: {'/'.join(map(str, error.path))}: {error.message}"
                for error in validator.iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{where}: {'/'.join(map(str, error.path))}: {error.message}"]
    return []


def main(argv: list[str]) -> int:
    failed = False
    for directory in [Path(a) for a in argv] or OVERLAYS:
        documents = render(directory)
        found = [problem for doc in documents for problem in problems(doc)]
        for problem in found:
            print(problem)
        failed |= bool(found)
        print(f"{directory}: {len(documents)} objects, {len(found)} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
