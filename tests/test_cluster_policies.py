"""The cluster layout (deploy/k8s/cluster.py) holds for every workload, validates offline,
and its NetworkPolicies admit exactly the callers the code declares."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from api_gateway.routes import SERVICES
from service_runtime.config import EVERY_SERVICE, LAPTOP_DEFAULTS, Process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy/k8s"))
import cluster  # noqa: E402  (deploy/k8s is no package)
import validate  # noqa: E402

COMPONENT = {Process.API: "api", Process.WORKER: "worker", Process.MIGRATE: "migration"}
# Call variables whose name does not say the callee.
CALLEE = {"AUTH_JWKS_URL": "user", "WEB_GATEWAY_URL": "gateway",
          "WEB_FLASH_GATEWAY_URL": "gateway-flash", "PAYMENT_NOTIFY_URL": "gateway"}
# Workloads that run another's code (and so call what it calls): the gateway's flash-sale pool.
SAME_CODE = {"gateway": ("gateway-flash",)}
# Readers the registry does not name: the payment worker reads PaymentSettings too, and
# its sandbox notifier posts to PAYMENT_NOTIFY_URL (payment.definition.worker_loops).
UNDECLARED_READERS = {"PAYMENT_NOTIFY_URL": {("payment", Process.WORKER)}}
OUTSIDE = {cluster.INGRESS_NAMESPACE, cluster.MONITORING_NAMESPACE}


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return validate.render(ROOT / "deploy/k8s/overlays/production")


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def app(doc: dict) -> tuple[str, str]:
    labels = doc["spec"]["template"]["metadata"]["labels"]
    return labels["app.kubernetes.io/name"], labels["app.kubernetes.io/component"]


def test_every_object_validates_offline(objects):
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "HorizontalPodAutoscaler", "ScaledObject", "KafkaTopic",
            "PodMonitor", "PrometheusRule", "NetworkPolicy", "Ingress"} <= kinds
    assert [p for o in objects for p in validate.problems(o)] == []


def test_validation_refuses_broken_objects():
    bad_hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "x"},
               "spec": {"maxReplicas": "six", "scaleTargetRef": {"kind": "Deployment",
                                                                 "name": "x"}}}
    no_triggers = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
                   "metadata": {"name": "x"}, "spec": {"scaleTargetRef": {"name": "x"}}}
    topic = {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
             "metadata": {"name": "x"}, "spec": {"partitions": "6"}}
    unknown = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "x"}}
    for doc in (bad_hpa, no_triggers, topic, unknown):
        assert validate.problems(doc), doc


def test_every_http_deployment_has_a_cpu_autoscaler(objects):
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h
            for h in of_kind(objects, "HorizontalPodAutoscaler").values()}
    apis = [d for d in of_kind(objects, "Deployment").values() if app(d)[1] == "api"]
    assert {app(d)[0] for d in apis} == {*SERVICES, "gateway", "gateway-flash", "web"}
    for deployment in apis:
        hpa = hpas[deployment["metadata"]["name"]]
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert "replicas" not in deployment["spec"], "the autoscaler owns the count"


def test_every_worker_scales_on_its_groups_lag_within_the_partitions(objects):
    partitions = cluster.topic_partitions()
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in of_kind(objects, "ScaledObject")
              .values()}
    workers = [d for d in of_kind(objects, "Deployment").values() if app(d)[1] == "worker"]
    assert {app(d)[0] for d in workers} == set(SERVICES)
    for worker in workers:
        name = app(worker)[0]
        definition = importlib.import_module(f"{name}.definition").DEFINITION
        if definition.handlers is None:
            assert worker["metadata"]["name"] not in scaled
            continue
        spec = scaled[worker["metadata"]["name"]]["spec"]
        triggers = spec["triggers"]
        assert {t["type"] for t in triggers} == {"kafka"}
        assert {t["metadata"]["consumerGroup"] for t in triggers} == {name}
        topics = {t["metadata"]["topic"] for t in triggers}
        assert topics == set(cluster.consumed_topics(name)) and topics
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        assert spec["maxReplicaCount"] <= min(partitions[t] for t in topics)


def test_every_deployment_has_a_disruption_budget(objects):
    budgets = [b["spec"]["selector"]["matchLabels"]
               for b in of_kind(objects, "PodDisruptionBudget").values()]
    for deployment in of_kind(objects, "Deployment").values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(selector.items() <= labels.items() for selector in budgets), \
            deployment["metadata"]["name"]


def test_every_pod_has_its_own_account_without_a_token(objects):
    accounts = of_kind(objects, "ServiceAccount")
    workloads = [o for o in objects if o["kind"] in ("Deployment", "Job")]
    used = [w["spec"]["template"]["spec"]["serviceAccountName"] for w in workloads]
    assert len(set(used)) == len(workloads)
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        account = accounts[pod["serviceAccountName"]]
        assert account["automountServiceAccountToken"] is False
        assert pod["automountServiceAccountToken"] is False
        # `kubectl apply -l app.kubernetes.io/component=migration` (a release's step 2)
        # must bring a Job's account along, or its pod cannot be created.
        assert account["metadata"]["labels"]["app.kubernetes.io/component"] == \
            workload["metadata"]["labels"]["app.kubernetes.io/component"]


def test_every_deployment_has_startup_probes_and_spreads(objects):
    for deployment in of_kind(objects, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        assert {c["topologyKey"] for c in pod["topologySpreadConstraints"]} == {
            "topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        for container in pod["containers"]:
            assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def callers_in_code() -> dict[str, set[tuple[str, str]]]:
    """callee -> {(caller, component)} from the call variables the code declares."""
    for package in ("service_runtime", "api_gateway", "shop_web", *SERVICES):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if not any(p in info.name for p in ("__main__", "gunicorn_conf", "testing")):
                importlib.import_module(info.name)
    callers: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for entry in LAPTOP_DEFAULTS.values():
        if not cluster.is_call(entry.name):
            continue
        callee = CALLEE.get(entry.name) or entry.name.removesuffix(cluster.CALL_SUFFIX).lower()
        for service, process in {*entry.read_by, *UNDECLARED_READERS.get(entry.name, ())}:
            for caller in (SERVICES if service == EVERY_SERVICE else [service]):
                for runner in (caller, *SAME_CODE.get(caller, ())):
                    callers[callee].add((runner, COMPONENT[process]))
    return callers


def admitted(policy: dict) -> set[tuple[str, str]]:
    """The pods of the namespace a policy lets in."""
    return {(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
             peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"])
            for rule in policy["spec"].get("ingress", []) for peer in rule["from"]
            if "podSelector" in peer and "namespaceSelector" not in peer}


def mismatches(policies: dict[str, dict], callers: dict[str, set]) -> list[str]:
    found = []
    for callee in sorted({*SERVICES, "gateway", "gateway-flash", "web"}):
        policy = policies[callee if callee in ("gateway", "gateway-flash", "web")
                          else f"{callee}-api"]
        if admitted(policy) != callers.get(callee, set()):
            found.append(f"{callee}: admits {sorted(admitted(policy))}, "
                         f"code calls from {sorted(callers.get(callee, set()))}")
    return found


def test_network_policies_admit_exactly_the_callers_in_the_code(objects):
    callers = callers_in_code()
    assert ("order", "api") in callers["cart"] and ("gateway", "api") in callers["order"]
    assert ("payment", "worker") in callers["gateway"]
    assert mismatches(of_kind(objects, "NetworkPolicy"), callers) == []


def test_a_missing_caller_is_caught(objects):
    policies = of_kind(objects, "NetworkPolicy")
    callers = callers_in_code()
    callers["marketing"] = callers["marketing"] | {("logistics", "worker")}
    assert mismatches(policies, callers) == [
        f"marketing: admits {sorted(admitted(policies['marketing-api']))}, "
        f"code calls from {sorted(callers['marketing'])}"]


def test_only_the_gateway_its_flash_pool_and_web_are_reachable_from_outside(objects):
    policies = of_kind(objects, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {},
                                                "policyTypes": ["Ingress", "Egress"]}
    for name, policy in policies.items():
        namespaces = {peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                      for rule in policy["spec"].get("ingress", []) for peer in rule["from"]
                      if "namespaceSelector" in peer}
        assert namespaces <= OUTSIDE
        if cluster.INGRESS_NAMESPACE in namespaces:
            assert name in ("gateway", "gateway-flash", "web")
    backends = {path["path"]: path["backend"]["service"]["name"]
                for rule in of_kind(objects, "Ingress")["shop"]["spec"]["rules"]
                for path in rule["http"]["paths"]}
    # Flash-sale traffic to the gateway's pool of its own, the rest to the gateway (which
    # forwards the web pages).
    assert backends == {"/api/v1/flash-sales": "gateway-flash", "/": "gateway"}


def test_egress_goes_only_to_dns_the_database_kafka_and_the_callees(objects):
    for name, policy in of_kind(objects, "NetworkPolicy").items():
        for rule in policy["spec"].get("egress", []):
            ports = {p["port"] for p in rule["ports"]}
            if "to" not in rule:
                assert ports == {cluster.POSTGRES_PORT}, name
            elif "namespaceSelector" in rule["to"][0]:
                namespace = rule["to"][0]["namespaceSelector"]["matchLabels"][
                    "kubernetes.io/metadata.name"]
                assert (namespace, ports) in (("kube-system", {53}),
                                              (cluster.KAFKA_NAMESPACE, {cluster.KAFKA_PORT}))
    migrate = of_kind(objects, "NetworkPolicy")["order-migrate"]["spec"]
    assert migrate["ingress"] == [] and len(migrate["egress"]) == 2  # DNS, database
