"""The platform's Grafana dashboards as code (grafanalib), written to deploy/grafana/*.json.

    python deploy/grafana/generate.py          write every dashboard
    python deploy/grafana/generate.py --check  exit 1 if a committed file differs (tests)

Dashboards: ``shop-overview`` (RED per service and per gateway route, SLO error-budget
burn, build info, targets), ``shop-saga`` (orders through the saga: time to each stage,
orders by status and stuck past a timer, the events the services publish and consume),
``shop-kafka`` (lag per group and partition, dead letters, outbox backlog and age),
``shop-business`` (orders placed, paid and cancelled, GMV, payments by method and provider,
refunds, coupons) and ``shop-service-<name>`` for each service (with its database pool).
Every query reads only metrics the code exports (tests/test_dashboards.py and the e2e
stack check it). Import them into Grafana with a Prometheus data source (picked by the
`datasource` variable).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafanalib._gen import DashboardEncoder
from grafanalib.core import (
    Dashboard,
    GridPos,
    RowPanel,
    Stat,
    Table,
    Target,
    Template,
    Templating,
    Time,
    TimeSeries,
)
from metric_names import load

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "deploy/grafana"


SLOS = load(ROOT / "deploy/prometheus/generate.py", "prometheus_rules").SLOS

# The services behind the gateway: the platform's one list of them (written out here, it
# missed the next service added).
from api_gateway.routes import SERVICES  # noqa: E402

DATASOURCE = "${datasource}"
RATE = "$__rate_interval"
OPS = 'route!~"/healthz|/readyz|/metrics"'  # probes and scrapes are not traffic
FAILED = 'status=~"5.."'
# The events of the order saga, in the order they happen.
SAGA_EVENTS = ("OrderPlaced", "StockReserved", "StockRejected", "PaymentConfirmed",
               "PaymentFailed", "Shipped", "Delivered", "OrderCompleted", "OrderCancelled")
WIDTH, HEIGHT = 24, 8


def sel(*matchers: str) -> str:
    """A label selector of the non-empty matchers: ``{a="1",b="2"}``."""
    return "{" + ",".join(m for m in matchers if m) + "}"


def target(expr: str, legend: str = "", ref: str = "A") -> Target:
    return Target(expr=expr, legendFormat=legend, refId=ref, datasource=DATASOURCE)


def graph(title: str, *queries: tuple[str, str], unit: str = "", description: str = "",
          width: int = 12) -> TimeSeries:
    return TimeSeries(
        title=title, description=description or None, dataSource=DATASOURCE, unit=unit,
        targets=[target(expr, legend, chr(ord("A") + n)) for n, (expr, legend) in
                 enumerate(queries)],
        gridPos=GridPos(h=HEIGHT, w=width, x=0, y=0), legendDisplayMode="table",
        legendPlacement="right" if width == WIDTH else "bottom", legendCalcs=["max", "lastNotNull"])


def layout(panels: list) -> list:
    """Place panels left to right, top to bottom; a row starts a new line."""
    x = y = 0
    line_height = 0
    for panel in panels:
        width, height = (WIDTH, 1) if isinstance(panel, RowPanel) else (
            panel.gridPos.w, panel.gridPos.h)
        if isinstance(panel, RowPanel) or x + width > WIDTH:
            x, y = 0, y + line_height
            line_height = 0
        panel.gridPos = GridPos(h=height, w=width, x=x, y=y)
        x += width
        line_height = max(line_height, height)
        if isinstance(panel, RowPanel):
            x, y, line_height = 0, y + height, 0
    return panels


def row(title: str) -> RowPanel:
    return RowPanel(title=title, gridPos=GridPos(h=1, w=WIDTH, x=0, y=0))


def dashboard(uid: str, title: str, panels: list, description: str) -> Dashboard:
    return Dashboard(
        title=title, uid=uid, description=description, tags=["shop"], timezone="browser",
        time=Time("now-6h", "now"), refresh="30s", schemaVersion=37,
        templating=Templating([Template(name="datasource", query="prometheus",
                                        type="datasource", label="Data source")]),
        panels=layout(panels)).auto_panel_ids()


def red(where: str, by: str, legend: str) -> list[TimeSeries]:
    """Rate, errors and duration of the HTTP answers selected by ``where``."""
    return [
        graph("Requests", (f"sum by ({by}) (rate(http_requests_total{sel(where)}[{RATE}]))",
                           legend), unit="reqps", width=8),
        graph("Server errors (share of requests)",
              (f"sum by ({by}) (rate(http_requests_total{sel(where, FAILED)}[{RATE}]))\n"
               f"/ sum by ({by}) (rate(http_requests_total{sel(where)}[{RATE}]))", legend),
              unit="percentunit", width=8),
        graph("Latency p99",
              (f"histogram_quantile(0.99, sum by (le, {by}) "
               f"(rate(http_request_duration_seconds_bucket{sel(where)}[{RATE}])))", legend),
              unit="s", width=8),
    ]


def gateway_routes(where: str) -> list[TimeSeries]:
    return [
        graph("Gateway: requests by route",
              (f"sum by (service, route) (rate(gateway_requests_total{sel(where)}[{RATE}]))",
               "{{service}} {{route}}"), unit="reqps", width=WIDTH),
        graph("Gateway: server errors by route (share)",
              (f"sum by (service, route) (rate(gateway_requests_total{sel(where, FAILED)}"
               f"[{RATE}]))\n/ sum by (service, route) (rate(gateway_requests_total{sel(where)}"
               f"[{RATE}]))", "{{service}} {{route}}"), unit="percentunit", width=WIDTH),
        graph("Gateway: latency p95 by route",
              (f"histogram_quantile(0.95, sum by (le, service, route) "
               f"(rate(gateway_request_duration_seconds_bucket{sel(where)}[{RATE}])))",
               "{{service}} {{route}}"), unit="s", width=WIDTH),
        graph("Gateway: upstream timeouts (504) and unreachable (503)",
              (f"sum by (service, reason) (rate(gateway_upstream_failures_total{sel(where)}"
               f"[{RATE}]))", "{{service}} {{reason}}"), unit="reqps", width=WIDTH),
    ]


def build_info(where: str = "") -> Table:
    return Table(title="Build: version and commit per process", dataSource=DATASOURCE,
                 targets=[Target(expr=f"max by (service, version, commit) "
                                      f"(shop_build_info{sel(where)})",
                                 format="table", instant=True, refId="A",
                                 datasource=DATASOURCE)],
                 gridPos=GridPos(h=HEIGHT, w=12, x=0, y=0))


def overview() -> Dashboard:
    slo_panels = [
        graph("Error-budget burn rate (1 h): 1 = on budget, 14.4 pages",
              ("slo:error_ratio:rate1h / on (slo) (1 - slo:objective:ratio)", "{{slo}}"),
              description="Burn rate of each SLO (deploy/prometheus/generate.py); the "
                          "burn-rate alerts fire at 14.4 (1 h and 5 m) and 6 (6 h and 30 m).",
              width=8),
        graph("Error-budget burn rate (6 h)",
              ("slo:error_ratio:rate6h / on (slo) (1 - slo:objective:ratio)", "{{slo}}"),
              width=8),
        Stat(title="SLO error ratio (1 d)", dataSource=DATASOURCE, format="percentunit",
             targets=[target("slo:error_ratio:rate1d", "{{slo}}")],
             gridPos=GridPos(h=HEIGHT, w=8, x=0, y=0),
             description="; ".join(slo.what for slo in SLOS)),
    ]
    return dashboard("shop-overview", "Shop overview", [
        row("SLOs and error budgets"), *slo_panels,
        row("Services: rate, errors, duration (every API and worker)"),
        *red(OPS, "service", "{{service}}"),
        row("Gateway: per upstream service and route"), *gateway_routes(""),
        row("Processes"),
        graph("Targets up (1) or down (0)", ('up{job=~"(.+/)?shop"}', "{{pod}} {{instance}}"),
              width=12),
        build_info(),
    ], "RED per service and per gateway route, SLO error-budget burn, builds and targets.")


# The saga's stages as the order service times them (order.metrics.STAGES).
SAGA_STAGES = ("reserved", "paid", "shipped", "delivered")


def saga_stages() -> list:
    """Time from placing to each stage, orders by status and those stuck past a timer."""
    stages = "|".join(SAGA_STAGES)
    return [
        row("Time from OrderPlaced to each stage (order service)"),
        *[graph(f"Placed to {stage}: p50, p95, p99",
                *[(f"histogram_quantile({q}, sum by (le) (rate(order_saga_stage_seconds_bucket"
                   f'{{stage="{stage}"}}[{RATE}])))', f"p{p}")
                  for q, p in ((0.5, 50), (0.95, 95), (0.99, 99))],
                unit="s", width=6) for stage in SAGA_STAGES],
        graph("Orders reaching each stage",
              (f'sum by (stage) (rate(order_saga_stage_seconds_count{{stage=~"{stages}"}}'
               f"[{RATE}]))", "{{stage}}"), unit="ops", width=12,
              description="Each order is counted once per stage, when its change commits."),
        graph("Saga latency SLO: burn rate (1 h and 6 h)",
              ('slo:error_ratio:rate1h{slo="order-saga-latency"}\n/ on (slo) '
               '(1 - slo:objective:ratio{slo="order-saga-latency"})', "1 h"),
              ('slo:error_ratio:rate6h{slo="order-saga-latency"}\n/ on (slo) '
               '(1 - slo:objective:ratio{slo="order-saga-latency"})', "6 h"), width=12,
              description="99% of orders payable within 10 s of placing; the fast-burn "
                          "alert fires at 14.4 (1 h) and 6 (6 h)."),
        row("Orders by status (counted by the order worker)"),
        graph("Orders in each status", ("max by (status) (orders_by_status)", "{{status}}"),
              width=12, description="Every replica of the order worker counts all orders; "
                                    "the max is the figure."),
        graph("Stuck past their timer", ("max by (status, timer) (orders_stuck)",
                                         "{{status}} ({{timer}})"), width=12,
              description="Alerted on by OrdersStuck (docs/runbooks/OrdersStuck.md)."),
        graph("Age of the count", ("time() - max(orders_stats_timestamp_seconds)", "age"),
              unit="s", width=12,
              description="Stays under a minute while the order worker's stats job runs."),
    ]


def saga() -> Dashboard:
    events = "|".join(SAGA_EVENTS)
    checkout = 'service="order",method="POST",route="/api/v1/orders"'
    return dashboard("shop-saga", "Shop saga: orders", [
        *saga_stages(),
        row("Orders through the saga"),
        graph("Saga events published",
              (f'sum by (event) (rate(business_events_total{{event=~"{events}"}}[{RATE}]))',
               "{{event}}"), unit="ops", width=WIDTH,
              description="Each event is counted when the transaction writing it to the "
                          "outbox commits."),
        graph("Cancelled per placed order",
              (f'sum(rate(business_events_total{{event="OrderCancelled"}}[{RATE}]))\n'
               f'/ sum(rate(business_events_total{{event="OrderPlaced"}}[{RATE}]))', "cancelled"),
              (f'sum(rate(business_events_total{{event="StockRejected"}}[{RATE}]))\n'
               f'/ sum(rate(business_events_total{{event="OrderPlaced"}}[{RATE}]))',
               "no stock"),
              (f'sum(rate(business_events_total{{event="PaymentFailed"}}[{RATE}]))\n'
               f'/ sum(rate(business_events_total{{event="OrderPlaced"}}[{RATE}]))',
               "payment failed"), unit="percentunit", width=12),
        graph("Saga events handled, by consumer group",
              (f"sum by (group) (rate(messages_consumed_total[{RATE}]))", "{{group}}"),
              unit="ops", width=12),
        row("Checkout at the gateway"),
        graph("Checkouts", (f"sum by (status) (rate(gateway_requests_total{{{checkout}}}"
                            f"[{RATE}]))", "{{status}}"), unit="reqps", width=8),
        graph("Checkout latency",
              *[(f"histogram_quantile({q}, sum by (le) (rate("
                 f"gateway_request_duration_seconds_bucket{{{checkout}}}[{RATE}])))", f"p{p}")
                for q, p in ((0.5, 50), (0.95, 95), (0.99, 99))], unit="s", width=8),
        graph("Checkout availability burn (1 h)",
              ('slo:error_ratio:rate1h{slo="checkout-availability"}\n/ on (slo) '
               '(1 - slo:objective:ratio{slo="checkout-availability"})', "burn"), width=8),
        row("Timers and retries (order, payment)"),
        graph("Job runs and failures",
              (f'sum by (service, job) (rate(job_runs_total{{service=~"order|payment"}}'
               f"[{RATE}]))", "{{service}} {{job}} runs"),
              (f'sum by (service, job) (rate(job_failures_total{{service=~"order|payment"}}'
               f"[{RATE}]))", "{{service}} {{job}} failures"), unit="ops", width=12),
        graph("Rows parked (given up on)",
              (f"sum by (service, job) (increase(job_parked_total[{RATE}]))",
               "{{service}} {{job}}"), width=12),
    ], "Orders through the saga: time to each stage, orders by status and stuck, events "
       "published and handled, checkout, timers.")


def business() -> Dashboard:
    success = (f'sum by (method, provider) (rate(payment_outcomes_total{{outcome="succeeded"}}'
               f"[{RATE}]))\n/ sum by (method, provider) (rate(payment_outcomes_total[{RATE}]))")
    return dashboard("shop-business", "Shop business: orders, payments, coupons", [
        row("Orders (order service, counted when the change commits)"),
        graph("Orders placed, paid and cancelled",
              (f"sum(rate(orders_placed_total[{RATE}]))", "placed"),
              (f"sum(rate(orders_paid_total[{RATE}]))", "paid"),
              (f"sum(rate(orders_cancelled_total[{RATE}]))", "cancelled"), unit="ops",
              width=12),
        graph("Cancelled, by reason",
              (f"sum by (reason) (rate(orders_cancelled_total[{RATE}]))", "{{reason}}"),
              unit="ops", width=12),
        graph("GMV per hour (yuan)",
              ("sum by (currency) (increase(orders_gmv_fen_total[1h])) / 100", "{{currency}}"),
              width=12, description="The payable total of orders whose payment arrived "
                                    "(cash on delivery when collected), in yuan."),
        Stat(title="GMV today, orders paid today", dataSource=DATASOURCE,
             targets=[target("sum(increase(orders_gmv_fen_total[1d])) / 100", "GMV (yuan)"),
                      target("sum(increase(orders_paid_total[1d]))", "orders paid", "B")],
             gridPos=GridPos(h=HEIGHT, w=12, x=0, y=0)),
        row("Payments (payment service)"),
        graph("Payment success rate by method and provider", (success,
                                                              "{{method}} ({{provider}})"),
              unit="percentunit", width=12,
              description="Succeeded over all outcomes; attempts left at the cashier have "
                          "none. Alerted on below 80% (PaymentSuccessRateLow)."),
        graph("Payment attempts and outcomes",
              (f"sum by (method) (rate(payment_attempts_total[{RATE}]))", "{{method}} started"),
              (f"sum by (method, outcome) (rate(payment_outcomes_total[{RATE}]))",
               "{{method}} {{outcome}}"), unit="ops", width=12),
        graph("Refunds", (f"sum by (method) (rate(refunds_total[{RATE}]))", "{{method}}"),
              unit="ops", width=12),
        graph("Refunded per hour (yuan)",
              ("sum by (currency) (increase(refunded_fen_total[1h])) / 100", "{{currency}}"),
              width=12),
        row("Coupons (marketing service)"),
        graph("Coupons locked, used and released",
              (f"sum by (step) (rate(coupons_total[{RATE}]))", "{{step}}"), unit="ops",
              width=WIDTH, description="Locked for an order when placed, used when it is "
                                       "paid, released when it is cancelled unpaid."),
    ], "Orders placed, paid and cancelled, GMV, payments by method and provider, refunds, "
       "coupons: every figure counted when its change commits.")


def kafka() -> Dashboard:
    return dashboard("shop-kafka", "Shop Kafka: consumers and outboxes", [
        row("Consumers"),
        graph("Lag per group and partition",
              ("max by (group, topic, partition) (consumer_lag_messages)",
               "{{group}} {{topic}}[{{partition}}]"), width=WIDTH),
        graph("Lag per group (all partitions)",
              ("sum by (group) (max by (group, topic, partition) (consumer_lag_messages))",
               "{{group}}"), width=12),
        graph("Handled, failed and duplicate events",
              (f"sum by (group) (rate(messages_consumed_total[{RATE}]))", "{{group}} handled"),
              (f"sum by (group) (rate(messages_failed_total[{RATE}]))", "{{group}} failed"),
              (f"sum by (group) (rate(messages_duplicate_total[{RATE}]))",
               "{{group}} duplicate"), unit="ops", width=12),
        graph("Dead letters (events parked)",
              (f"sum by (group, topic) (increase(messages_dead_lettered_total[{RATE}]))",
               "{{group}} {{topic}}"), width=WIDTH,
              description="Replay after fixing the cause: python -m <service> "
                          "replay-dead-letters (docs/runbooks/MessagesDeadLettered.md)."),
        graph("Broker polls by reason and outcome",
              (f"sum by (group, reason, outcome) (rate(consumer_polls_total[{RATE}]))",
               "{{group}} {{reason}} {{outcome}}"), unit="ops", width=WIDTH,
              description="woken: a relay announced records; after_batch: the last answer "
                          "said more were there; fallback: no wake came for a while (fallback "
                          "polls that find records mean wakes go missing); plain: no wake "
                          "socket (a remote broker) or the group is settling. Empty polls "
                          "cost the broker CPU."),
        row("Outboxes"),
        graph("Outbox backlog (rows not yet published)",
              ("max by (service) (outbox_backlog_messages)", "{{service}}"), width=12),
        graph("Age of the oldest unpublished row",
              ("max by (service) (outbox_oldest_unpublished_age_seconds)", "{{service}}"),
              unit="s", width=12),
        graph("Published per topic",
              (f"sum by (topic) (rate(outbox_published_total[{RATE}]))", "{{topic}}"),
              unit="ops", width=12),
        graph("Relay publish errors",
              (f"sum by (service) (rate(outbox_publish_errors_total[{RATE}]))", "{{service}}"),
              unit="ops", width=12),
    ], "Consumer lag per group and partition, dead letters, outbox backlog and age.")


def service(name: str) -> Dashboard:
    api = f'service="{name}",{OPS}'
    worker = f'service="{name}"'
    return dashboard(f"shop-service-{name}", f"Shop service: {name}", [
        row(f"{name} API: rate, errors, duration by route"),
        *red(api, "route", "{{route}}"),
        row("Through the gateway"), *gateway_routes(f'service="{name}"'),
        row(f"{name} worker: events and outbox"),
        graph("Consumer lag per topic and partition",
              (f"max by (topic, partition) (consumer_lag_messages{{{worker}}})",
               "{{topic}}[{{partition}}]"), width=12),
        graph("Handled and failed events",
              (f"sum by (topic) (rate(messages_consumed_total{{{worker}}}[{RATE}]))",
               "{{topic}} handled"),
              (f"sum by (topic) (rate(messages_failed_total{{{worker}}}[{RATE}]))",
               "{{topic}} failed"), unit="ops", width=12),
        graph("Dead letters", (f"sum by (topic) (increase(messages_dead_lettered_total"
                               f"{{{worker}}}[{RATE}]))", "{{topic}}"), width=8),
        graph("Outbox backlog and oldest age",
              (f"max(outbox_backlog_messages{{{worker}}})", "rows waiting"),
              (f"max(outbox_oldest_unpublished_age_seconds{{{worker}}})", "oldest (s)"),
              width=8),
        graph("Events published", (f"sum by (event) (rate(business_events_total{{{worker}}}"
                                   f"[{RATE}]))", "{{event}}"), unit="ops", width=8),
        graph("Background jobs", (f"sum by (job) (rate(job_runs_total{{{worker}}}[{RATE}]))",
                                  "{{job}} runs"),
              (f"sum by (job) (rate(job_failures_total{{{worker}}}[{RATE}]))",
               "{{job}} failures"), unit="ops", width=12),
        graph("Database pool: connections in use and pool size",
              (f'sum by (service) (db_pool_checked_out_connections{{service=~"{name}|'
               f'{name}-worker"}})', "{{service}} in use"),
              (f'sum by (service) (db_pool_size_connections{{service=~"{name}|{name}-worker"}})',
               "{{service}} pool size"), width=12,
              description="Per process kind, summed over pods (and an API's gunicorn "
                          "workers); in use near the size (plus overflow) means waiting."),
        build_info(f'service=~"{name}|{name}-worker"'),
    ], f"The {name} service: its API by route, its routes at the gateway, its worker, "
       f"its database pool.")


def dashboards() -> dict[str, Dashboard]:
    boards = [overview(), saga(), kafka(), business(),
              *(service(name) for name in SERVICES)]
    return {board.uid: board for board in boards}


def render(board: Dashboard) -> str:
    return json.dumps(board.to_json_data(), cls=DashboardEncoder, sort_keys=True,
                      indent=2, ensure_ascii=False) + "\n"


def outputs() -> dict[Path, str]:
    return {OUT / f"{uid}.json": render(board) for uid, board in dashboards().items()}


def main(argv: list[str]) -> int:
    expected = outputs()
    committed = set(OUT.glob("*.json"))
    stale = sorted({p for p, text in expected.items()
                    if not p.exists() or p.read_text() != text} | (committed - set(expected)))
    if "--check" in argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run deploy/grafana/generate.py")
        return 1 if stale else 0
    for path in committed - set(expected):
        path.unlink()
    for path, text in expected.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
