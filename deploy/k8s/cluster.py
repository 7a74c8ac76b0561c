"""The cluster layout around the workloads generate.py writes: one ServiceAccount per
workload, PodDisruptionBudgets, HorizontalPodAutoscalers (APIs, gateway, web), KEDA
ScaledObjects (workers, on consumer lag), NetworkPolicies and the Ingress.

Everything is derived from the rendered workloads, not listed by hand:
- who calls whom: a container's call variables (``<NAME>_SERVICE_URL``, ``AUTH_JWKS_URL``,
  ``WEB_GATEWAY_URL``) name a Service by its URL's host; that Service's pods admit the
  caller's pods and nothing else of the namespace (tests/test_cluster_policies.py checks
  the result against the variables the code declares it reads);
- a worker's topics: its service's event handlers (imported, so this needs the platform's
  virtualenv); its consumer group is the service's name (``CONSUMER_GROUP`` unset);
- a worker's most replicas: the smallest partition count among those topics in
  kafka/topics.yaml.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

HERE = Path(__file__).resolve().parent
# Where traffic from outside the namespace comes from. Change them here if your ingress
# controller or Prometheus lives elsewhere (namespaces carry kubernetes.io/metadata.name).
INGRESS_NAMESPACE = "ingress-nginx"
INGRESS_CLASS = "nginx"
MONITORING_NAMESPACE = "monitoring"
KAFKA_NAMESPACE = "kafka"
KAFKA_PORT = 9092
POSTGRES_PORT = 5432
PUBLIC_HOST = "shop.example.com"  # an overlay sets the real one

# Variables whose value is a URL a process calls (the other URLs, such as payment's
# PAYMENT_PUBLIC_URL, are only handed to browsers and providers). PAYMENT_NOTIFY_URL is
# called: the payment worker's sandbox notifier posts the providers' stand-in
# notifications there (payment.definition.worker_loops), through the gateway.
CALL_VARIABLES = ("AUTH_JWKS_URL", "WEB_GATEWAY_URL", "WEB_FLASH_GATEWAY_URL",
                  "PAYMENT_NOTIFY_URL")
CALL_SUFFIX = "_SERVICE_URL"

# HorizontalPodAutoscaler bounds (min, max) of each HTTP Deployment by app name; the
# minimums are the production replica counts the overlay used to pin.
HTTP_SCALE: dict[str, tuple[int, int]] = {
    "gateway": (3, 12), "gateway-flash": (2, 12), "web": (2, 8), "user": (3, 10),
    "catalog": (4, 16), "cart": (3, 10), "order": (3, 10), "payment": (3, 10),
    "analytics": (3, 12),
}
DEFAULT_HTTP_SCALE = (2, 8)
CPU_TARGET = 70  # percent of the CPU request
# Workers: never fewer than one, since the worker also relays the service's outbox (at
# zero replicas no event of the service would be published). Extra minimums by name.
WORKER_MIN: dict[str, int] = {"order": 2, "payment": 2}
LAG_THRESHOLD = 100  # messages of lag per replica the scaler aims at


def is_call(variable: str) -> bool:
    return variable.endswith(CALL_SUFFIX) or variable in CALL_VARIABLES


def topic_partitions() -> dict[str, int]:
    documents = yaml.safe_load_all((HERE / "kafka/topics.yaml").read_text())
    return {doc["spec"]["topicName"]: doc["spec"]["partitions"]
            for doc in documents if doc and doc["kind"] == "KafkaTopic"}


def consumed_topics(service: str) -> list[str]:
    """The event types the service's worker subscribes to (none: no consumer)."""
    from service_runtime.settings import Environment

    definition = importlib.import_module(f"{service}.definition").DEFINITION
    if definition.handlers is None:
        return []
    handlers = definition.handlers_for(definition.settings.read(Environment()))
    return sorted(handlers.event_types) if handlers is not None else []


def app(doc: dict) -> tuple[str, str]:
    labels = doc["spec"]["template"]["metadata"]["labels"]
    return labels["app.kubernetes.io/name"], labels["app.kubernetes.io/component"]


def selector(name: str, component: str) -> dict:
    return {"matchLabels": {"app.kubernetes.io/name": name,
                            "app.kubernetes.io/component": component}}


def meta(name: str, app_name: str, component: str, **extra: Any) -> dict:
    return {"name": name, "labels": {"app.kubernetes.io/name": app_name,
                                     "app.kubernetes.io/component": component,
                                     "app.kubernetes.io/part-of": "shop"}, **extra}


def namespace_peer(namespace: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def calls(doc: dict, services: dict[str, dict]) -> set[str]:
    """Names of the Services a workload's containers call."""
    called = set()
    for container in doc["spec"]["template"]["spec"]["containers"]:
        for item in container.get("env", []):
            if is_call(item["name"]) and "value" in item:
                host = urlsplit(str(item["value"])).hostname
                if host not in services:
                    raise SystemExit(f"{item['name']}={item['value']}: no Service {host}")
                called.add(host)
    return called


def network_policy(doc: dict, services: dict[str, dict], callers: dict[str, list[tuple]],
                   ) -> dict:
    """Ingress from its callers (and, for what people reach, the ingress controller) and
    Prometheus; egress to DNS, its database, Kafka and the Services it calls."""
    name, component = app(doc)
    containers = doc["spec"]["template"]["spec"]["containers"]
    ports = [port for c in containers for port in c.get("ports", [])]
    ingress = []
    service = next((s for s, svc in services.items()
                    if svc["spec"]["selector"] == selector(name, component)["matchLabels"]),
                   None)
    if service is not None:
        peers = [{"podSelector": selector(*caller)} for caller in sorted(callers[service])]
        if service in ("gateway", "gateway-flash", "web"):
            peers.append(namespace_peer(INGRESS_NAMESPACE))
        if peers:
            ingress.append({"from": peers,
                            "ports": [{"port": p["containerPort"], "protocol": "TCP"}
                                      for p in ports]})
    if ports:  # /metrics on the same port
        ingress.append({"from": [namespace_peer(MONITORING_NAMESPACE)],
                        "ports": [{"port": p["containerPort"], "protocol": "TCP"}
                                  for p in ports]})
    egress: list[dict] = [{
        "to": [{**namespace_peer("kube-system"),
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]
    env = {item["name"] for c in containers for item in c.get("env", [])}
    if "DATABASE_URL" in env:
        # The database's address is not known here (a managed PostgreSQL, an operator's
        # Service): the port is. An overlay may add a `to:` with its CIDR or namespace.
        egress.append({"ports": [{"port": POSTGRES_PORT, "protocol": "TCP"}]})
    if any(source.get("configMapRef", {}).get("name") == "platform-kafka"
           for c in containers for source in c.get("envFrom", [])):
        egress.append({"to": [namespace_peer(KAFKA_NAMESPACE)],
                       "ports": [{"port": KAFKA_PORT, "protocol": "TCP"}]})
    for called in sorted(calls(doc, services)):
        target = services[called]
        egress.append({"to": [{"podSelector": {"matchLabels": target["spec"]["selector"]}}],
                       # Every Service here forwards its port to the same container port.
                       "ports": [{"port": target["spec"]["ports"][0]["port"],
                                  "protocol": "TCP"}]})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": meta(doc["metadata"]["name"], name, component),
            "spec": {"podSelector": selector(name, component),
                     "policyTypes": ["Ingress", "Egress"],
                     "ingress": ingress, "egress": egress}}


def autoscaler(doc: dict) -> dict:
    name, component = app(doc)
    low, high = HTTP_SCALE.get(name, DEFAULT_HTTP_SCALE)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": meta(doc["metadata"]["name"], name, component),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": doc["metadata"]["name"]},
                     "minReplicas": low, "maxReplicas": high,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu",
                         "target": {"type": "Utilization", "averageUtilization": CPU_TARGET}}}],
                     # Scale down slowly: a burst that comes back finds the pods there.
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}}}


def scaled_object(doc: dict, partitions: dict[str, int]) -> dict | None:
    name, component = app(doc)
    topics = consumed_topics(name)
    if not topics:
        return None
    missing = [topic for topic in topics if topic not in partitions]
    if missing:
        raise SystemExit(f"{name}: topics {missing} are not declared in kafka/topics.yaml")
    most = min(partitions[topic] for topic in topics)
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": meta(doc["metadata"]["name"], name, component),
            "spec": {"scaleTargetRef": {"name": doc["metadata"]["name"]},
                     "minReplicaCount": WORKER_MIN.get(name, 1),
                     "maxReplicaCount": most,
                     "pollingInterval": 30, "cooldownPeriod": 300,
                     "triggers": [{"type": "kafka", "metadata": {
                         # Read from the worker's own environment (the platform-kafka
                         # ConfigMap), so the scaler asks the broker the worker uses.
                         "bootstrapServersFromEnv": "KAFKA_BOOTSTRAP_SERVERS",
                         "consumerGroup": name, "topic": topic,
                         "lagThreshold": str(LAG_THRESHOLD),
                         "offsetResetPolicy": "earliest"}} for topic in topics]}}


def ingress(services: dict[str, dict]) -> dict:
    def backend(name: str) -> dict:
        return {"service": {"name": name, "port": {"name": "http"}}}

    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": meta("shop", "gateway", "api"),
            "spec": {"ingressClassName": INGRESS_CLASS,
                     # Everything to the gateway: it answers /api/v1 and /openapi.json and
                     # forwards every other path to the web pages, so its request metrics
                     # (and the SLOs on them) see the pages too. The web pages' policy
                     # also admits the controller, for an overlay that gives them a host.
                     # Flash-sale traffic (the longer prefix wins) to the gateway's pool
                     # of its own: a storm of buyers does not queue before the browsing.
                     "rules": [{"host": PUBLIC_HOST, "http": {"paths": [
                         {"path": "/api/v1/flash-sales", "pathType": "Prefix",
                          "backend": backend("gateway-flash")},
                         {"path": "/", "pathType": "Prefix", "backend": backend("gateway")},
                     ]}}]}}


def layout(documents: Iterable[dict]) -> tuple[list[dict], list[dict]]:
    """(built-in objects for base/cluster.yaml, ScaledObjects for autoscaling/)."""
    documents = list(documents)
    services = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Service"}
    workloads = [d for d in documents if d["kind"] in ("Deployment", "Job")]
    callers: dict[str, list[tuple]] = {name: [] for name in services}
    for doc in workloads:
        for called in calls(doc, services):
            callers[called].append(app(doc))
    partitions = topic_partitions()
    built_in: list[dict] = [{
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "labels": {"app.kubernetes.io/part-of": "shop"}},
        # Nothing in or out unless a workload's own policy below says so.
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}]
    scaled: list[dict] = []
    for doc in workloads:
        name, component = app(doc)
        account = doc["spec"]["template"]["spec"]["serviceAccountName"]
        built_in.append({"apiVersion": "v1", "kind": "ServiceAccount",
                         "metadata": meta(account, name, component),
                         "automountServiceAccountToken": False})
        built_in.append(network_policy(doc, services, callers))
        if doc["kind"] != "Deployment":
            continue
        built_in.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                         "metadata": meta(doc["metadata"]["name"], name, component),
                         # One pod at a time during a drain, whatever the replica count.
                         "spec": {"maxUnavailable": 1, "selector": selector(name, component)}})
        if component == "api":
            built_in.append(autoscaler(doc))
        elif (found := scaled_object(doc, partitions)) is not None:
            scaled.append(found)
    built_in.append(ingress(services))
    return built_in, scaled


HEADER_CLUSTER = """\
# Generated by deploy/k8s/generate.py (cluster.py): edit the generator, not this file.
# Per workload: its ServiceAccount (no API token), its NetworkPolicy (after the
# namespace's default deny), and per Deployment a PodDisruptionBudget and, for the HTTP
# ones, a HorizontalPodAutoscaler on CPU; then the Ingress (to the gateway, which serves
# the API and forwards the web pages).
"""
HEADER_SCALED = """\
# Generated by deploy/k8s/generate.py (cluster.py): edit the generator, not this file.
# KEDA ScaledObjects: each worker scales on its consumer group's lag (trigger `kafka`, one
# per topic it consumes; the group is the service's name). maxReplicaCount is the
# smallest partition count of those topics (kafka/topics.yaml): Kafka gives each
# partition to at most one consumer of a group, so a replica beyond the partition count
# would get no partition and sit idle (KEDA's kafka scaler caps itself there too unless
# allowIdleConsumers is set). minReplicaCount is at least 1: the worker also relays the
# service's outbox, and at zero replicas nothing the service writes would be published.
"""


def render(objects: list[dict]) -> str:
    return "---\n".join(yaml.safe_dump(obj, sort_keys=False) for obj in objects)


def outputs(documents: Iterator[dict]) -> dict[Path, str]:
    built_in, scaled = layout(documents)
    return {HERE / "base/cluster.yaml": HEADER_CLUSTER + render(built_in),
            HERE / "autoscaling/scaled-objects.yaml": HEADER_SCALED + render(scaled)}
