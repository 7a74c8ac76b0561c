"""The Grafana dashboards (deploy/grafana/generate.py): the committed JSON is what the code
generates, and every panel queries only metrics the code exports (the e2e stack checks the
same against the processes' /metrics: tests/e2e/test_metrics_exported.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy/grafana"))
from metric_names import (  # noqa: E402
    SYNTHETIC,
    expressions,
    load,
    platform_metrics,
    promtool,
    queried,
)

dashboards = load(ROOT / "deploy/grafana/generate.py", "grafana_dashboards")
rules = load(ROOT / "deploy/prometheus/generate.py", "prometheus_rules")


def committed() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text())
            for path in sorted((ROOT / "deploy/grafana").glob("*.json"))}


def unexported(board: dict, exported: set[str]) -> dict[str, set[str]]:
    """Panel queries naming a metric that is not in ``exported``, by query."""
    missing = {expr: queried(expr) - exported for expr in expressions(board)}
    return {expr: names for expr, names in missing.items() if names}


def test_the_committed_dashboards_are_what_the_code_generates():
    assert dashboards.main(["--check"]) == 0, "run: python deploy/grafana/generate.py"


def test_there_is_an_overview_a_saga_a_kafka_a_business_and_one_dashboard_per_service():
    assert set(committed()) == {"shop-overview", "shop-saga", "shop-kafka", "shop-business",
                                *(f"shop-service-{name}" for name in SERVICES)}
    for uid, board in committed().items():
        assert board["uid"] == uid
        assert len(expressions(board)) >= 8, uid


def test_the_saga_business_and_service_boards_show_the_saga_business_and_pool_metrics():
    boards = committed()

    def names(uid: str) -> set[str]:
        return set().union(*(queried(expr) for expr in expressions(boards[uid])))

    assert {"order_saga_stage_seconds_bucket", "order_saga_stage_seconds_count",
            "orders_by_status", "orders_stuck", "orders_stats_timestamp_seconds"} <= names(
        "shop-saga")
    for stage in ("reserved", "paid", "shipped", "delivered"):
        assert any(f'stage="{stage}"' in expr for expr in expressions(boards["shop-saga"]))
    assert {"orders_placed_total", "orders_paid_total", "orders_cancelled_total",
            "orders_gmv_fen_total", "payment_attempts_total", "payment_outcomes_total",
            "refunds_total", "refunded_fen_total", "coupons_total"} <= names("shop-business")
    assert {"consumer_lag_messages", "messages_dead_lettered_total", "outbox_backlog_messages",
            "outbox_oldest_unpublished_age_seconds"} <= names("shop-kafka")
    for name in SERVICES:
        assert {"db_pool_checked_out_connections", "db_pool_size_connections"} <= names(
            f"shop-service-{name}")


def test_every_panel_queries_metrics_the_code_exports():
    exported = (platform_metrics(["service_runtime", "api_gateway", "shop_web", *SERVICES])
                | SYNTHETIC | rules.recorded_names())
    for uid, board in committed().items():
        assert unexported(board, exported) == {}, uid


def test_a_panel_naming_a_metric_nobody_exports_is_caught():
    board = {"panels": [{"targets": [
        {"expr": 'sum by (service) (rate(http_requests_total{status=~"5.."}[$__rate_interval]))'},
        {"expr": "histogram_quantile(0.9, sum by (le) (rate(saga_stage_seconds_bucket[5m])))"},
    ]}]}
    exported = {"http_requests_total"}
    assert unexported(board, exported) == {
        "histogram_quantile(0.9, sum by (le) (rate(saga_stage_seconds_bucket[5m])))":
            {"saga_stage_seconds_bucket"}}


def test_every_panel_query_is_valid_promql(tmp_path):
    """promtool parses each query (as a recording rule; Grafana's variables given values)."""
    tool = promtool()
    queries = sorted({re.sub(r"\$\{?__rate_interval\}?", "5m", expr)
                      for board in committed().values() for expr in expressions(board)})
    rules_file = tmp_path / "panels.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": [
        {"record": f"panel:query{n}", "expr": expr} for n, expr in enumerate(queries)]}]}))
    checked = subprocess.run([tool, "check", "rules", str(rules_file)], capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
