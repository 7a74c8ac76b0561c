"""What the dashboards and the alert rules query, every process of the stack exports.

The unit tests (tests/test_dashboards.py, tests/test_monitoring_rules.py) check the panels'
and rules' metric names against the code's registry; this checks them against what the
real processes answer on ``/metrics``, after some traffic through the gateway: a panel
naming a metric that is not exported fails here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's
from service_runtime.testing.processes import wait_until

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy/grafana"))
from metric_names import SYNTHETIC, exposed, expressions, load, queried  # noqa: E402

rules = load(ROOT / "deploy/prometheus/generate.py", "prometheus_rules")


def scrape_every_process(stack, http) -> dict[str, str]:
    urls = {"gateway": stack.gateway, "web": stack.web,
            **{f"{name}-api": url for name, url in stack.api_urls.items()},
            **{f"{name}-worker": url for name, url in stack.worker_urls.items()}}
    answers = {}
    for process, url in urls.items():
        answer = http.get(f"{url}/metrics", timeout=10)
        assert answer.status_code == 200, process
        answers[process] = answer.text
    return answers


def some_traffic(stack, http) -> None:
    """Reads through the gateway: catalog, its product page, the pages, an unknown path."""
    products = http.get(stack.url("/api/v1/products"), params={"limit": 2}).json()["items"]
    http.get(stack.url(f"/api/v1/products/{products[0]['id']}"))
    http.get(stack.url("/api/v1/no-such-thing"))
    http.get(stack.url("/"))


def test_every_panel_and_rule_queries_a_metric_the_processes_export(stack, http):
    some_traffic(stack, http)
    exported = exposed(scrape_every_process(stack, http).values()) | SYNTHETIC \
        | rules.recorded_names()
    for path in sorted((ROOT / "deploy/grafana").glob("*.json")):
        for expr in expressions(json.loads(path.read_text())):
            assert queried(expr) <= exported, (path.name, expr, queried(expr) - exported)
    for group in rules.groups():
        for rule in group["rules"]:
            missing = queried(rule["expr"]) - exported
            assert not missing, (rule.get("alert") or rule.get("record"), missing)


# What each process kind must export (declared, even before it counts anything): the saga's
# and the business metrics (issue 15), the database pool of every API and worker.
EXPECTED = {
    "order-worker": {"order_saga_stage_seconds_bucket", "orders_by_status", "orders_stuck",
                     "orders_stats_timestamp_seconds", "orders_placed_total",
                     "orders_paid_total", "orders_cancelled_total", "orders_gmv_fen_total"},
    "payment-worker": {"payment_attempts_total", "payment_outcomes_total", "refunds_total",
                       "refunded_fen_total"},
    "marketing-worker": {"coupons_total"},
    **{f"{name}-worker": {"db_pool_size_connections", "db_pool_checked_out_connections"}
       for name in SERVICES if name not in ("order", "payment", "marketing")},
}


def test_the_saga_business_and_pool_metrics_are_exported(stack, http):
    some_traffic(stack, http)  # the catalog API has used its pool
    answers = scrape_every_process(stack, http)
    pools = {"db_pool_size_connections", "db_pool_checked_out_connections"}
    for process, names in EXPECTED.items():
        exported = exposed([answers[process]])
        assert names | pools <= exported, (process, (names | pools) - exported)
    # An API runs several gunicorn workers: the pool it used shows, summed over them.
    assert pools <= exposed([answers["catalog-api"]])


def test_the_order_worker_counts_orders_by_status(stack, http):
    def counted() -> bool:
        text = http.get(f"{stack.worker_urls['order']}/metrics", timeout=10).text
        return any(sample.name == "orders_stats_timestamp_seconds" and sample.value > 0
                   for family in text_string_to_metric_families(text)
                   for sample in family.samples)

    wait_until(counted, 60, 0.5, "the order worker's first count of orders by status")


def test_every_process_says_which_build_it_runs(stack, http):
    builds = {}
    for process, text in scrape_every_process(stack, http).items():
        for family in text_string_to_metric_families(text):
            if family.name == "shop_build_info":
                builds[process] = [s.labels for s in family.samples if s.value == 1]
    expected = {"gateway": "gateway", "web": "web",
                **{f"{name}-api": name for name in SERVICES},
                **{f"{name}-worker": f"{name}-worker" for name in SERVICES}}
    for process, service in expected.items():
        assert [labels["service"] for labels in builds.get(process, [])] == [service], process
        assert builds[process][0]["version"] not in ("", "unknown"), process
        assert builds[process][0]["commit"] not in ("", "unknown"), process


def test_the_gateway_counts_by_service_and_route_template(stack, http):
    routes: set[tuple[str, str]] = set()

    def counted_by_template() -> bool:
        # Each gateway worker loads the services' templates in the background after its
        # first request; until then its requests count as "other".
        some_traffic(stack, http)
        text = http.get(f"{stack.gateway}/metrics", timeout=10).text
        routes.update((s.labels["service"], s.labels["route"])
                      for family in text_string_to_metric_families(text)
                      if family.name == "gateway_requests" for s in family.samples)
        # Both, from one worker: the product page is the gateway's own route, its first
        # request may have come before that worker's templates.
        return {("catalog", "/api/v1/products"),
                ("catalog", "/api/v1/products/{product_id}")} <= routes

    wait_until(counted_by_template, 60, 0.5, "the gateway counting catalog reads by template")
    assert ("none", "other") in routes  # the unknown path, in the one series for them
    assert ("web", "pages") in routes
    assert not any("no-such-thing" in route for _, route in routes)
