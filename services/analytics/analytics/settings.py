"""The analytics service's own settings, read once when a process starts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from marshmallow.validate import Length, OneOf, Range

from analytics.domain import MAX_REPORT_DAYS
from analytics.risk_settings import RiskSettings
from analytics.webhook_urls import UrlPolicy
from service_runtime.config import data_dir
from service_runtime.settings import at_least, ip_networks, variable


class QueryEngine(StrEnum):
    SQL = "sql"
    DUCKDB = "duckdb"


@dataclass(frozen=True)
class AnalyticsSettings(RiskSettings):  # its RISK_* too
    # Per client (the signed-in user, else the address): a shop page sends a batch every
    # few seconds, so this leaves room for many tabs and retries.
    track_rate_limit: str = variable("ANALYTICS_TRACK_RATE_LIMIT", "300/minute")
    # memory:// counts per process; several replicas share a count in Redis
    # (redis://...), as the gateway's sign-in limit does. A URL may carry a password.
    rate_limit_storage_uri: str = variable("ANALYTICS_RATE_LIMIT_STORAGE_URI", "memory://",
                                           secret=True)
    # A batch of 100 events with the largest properties stays below this.
    track_max_body_bytes: int = variable("ANALYTICS_TRACK_MAX_BODY_BYTES", 256 * 1024,
                                         validate=at_least(1))
    # The proxies whose X-Forwarded-For names the client (the gateway): by default the
    # loopback and private networks, where a cluster's pods live. The service is only
    # reachable through the gateway, so no client outside can name itself another.
    trusted_proxies: tuple[str, ...] = variable(
        "ANALYTICS_TRUSTED_PROXIES",
        ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
        validate=ip_networks)
    # Partner webhooks of the middle-platform feed (analytics.webhooks): a delivery is
    # tried this many times, the waits growing from the first to the largest backoff,
    # then parked as a dead letter (GET/POST /admin/integration/dead-letters).
    webhook_max_attempts: int = variable("ANALYTICS_WEBHOOK_MAX_ATTEMPTS", 8,
                                         validate=at_least(1))
    webhook_first_backoff_s: float = variable("ANALYTICS_WEBHOOK_FIRST_BACKOFF_S", 5.0,
                                              validate=at_least(0))
    webhook_max_backoff_s: float = variable("ANALYTICS_WEBHOOK_MAX_BACKOFF_S", 3600.0,
                                            validate=at_least(0))
    webhook_timeout_s: float = variable("ANALYTICS_WEBHOOK_TIMEOUT_S", 10.0,
                                        validate=at_least(0.1))
    # Where webhook URLs may point (analytics.webhook_urls): by default only https to
    # public addresses. These networks are allowed anyway, and http too when allowed;
    # tests and local development set 127.0.0.0/8 and true for receivers on this machine.
    webhook_allowed_networks: tuple[str, ...] = variable(
        "ANALYTICS_WEBHOOK_ALLOWED_NETWORKS", (), validate=ip_networks)
    webhook_allow_http: bool = variable("ANALYTICS_WEBHOOK_ALLOW_HTTP", False)
    # Where the funnel, sales by day and retention are answered: "sql" (the database) or
    # "duckdb" (the Parquet copy under the warehouse folder, as of the worker's last flush).
    query_engine: str = variable("ANALYTICS_QUERY_ENGINE", QueryEngine.SQL.value,
                                 validate=OneOf([e.value for e in QueryEngine]))
    # The Parquet copy (default: $SHOP_DATA_DIR/analytics-warehouse) and how often the
    # worker adds to it.
    warehouse_dir: str = variable("ANALYTICS_WAREHOUSE_DIR", "")
    warehouse_flush_interval_s: float = variable("ANALYTICS_WAREHOUSE_FLUSH_INTERVAL_S",
                                                 30.0, validate=at_least(0.1))
    # A demo shopping history over this many past days, made once per database by the
    # worker (analytics.demo_history_job) when it knows the catalog; 0: none (in production
    # it must stay 0: the history's synthetic orders would count in every report).
    # ``./platform run`` sets 56.
    demo_history_days: int = variable("ANALYTICS_DEMO_HISTORY_DAYS", 0,
                                      validate=Range(min=0, max=MAX_REPORT_DAYS))

    # The big-data export (analytics.exports): user ids leave only as HMAC-SHA256
    # pseudonyms under this key (the same in every export while it stays the same; set
    # your own in production), and rows younger than the settling time wait for the next
    # export so that none is skipped behind a watermark.
    export_pseudonym_key: str = variable("ANALYTICS_EXPORT_PSEUDONYM_KEY",
                                         "dev-only-export-pseudonym-key", secret=True,
                                         validate=Length(min=16))
    export_settle_s: float = variable("ANALYTICS_EXPORT_SETTLE_S", 5.0, validate=at_least(0))
    # Recommendations remember each order and each (visit, product) they counted, so that
    # a second delivery counts nothing; this long (then a visit viewing a product again
    # counts again, and the tables stop growing).
    recs_counted_days: int = variable("ANALYTICS_RECS_COUNTED_DAYS", 30,
                                      validate=Range(min=1, max=3650))

    def pseudonym_key(self) -> bytes:
        return self.export_pseudonym_key.encode()

    def webhook_url_policy(self) -> UrlPolicy:
        return UrlPolicy.of(self.webhook_allowed_networks, self.webhook_allow_http)

    def duckdb(self) -> bool:
        return self.query_engine == QueryEngine.DUCKDB.value

    def warehouse(self) -> Path:
        return Path(self.warehouse_dir) if self.warehouse_dir else \
            data_dir() / "analytics-warehouse"
