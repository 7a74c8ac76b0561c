"""The logistics service's own metrics, next to the runtime's (``service_runtime.metrics``)."""

from prometheus_client import Counter

INTERCEPTS_REQUESTED = Counter(
    "logistics_intercepts_requested_total",
    "Parcels under way whose order was cancelled (and refunded) after they left",
    ["service"],
)
CARRIER_CALLBACKS = Counter(
    "logistics_carrier_callbacks_total",
    "Carrier tracking callbacks, by carrier and outcome (applied, refused)",
    ["carrier", "outcome"],
)


def intercept_requested() -> None:
    INTERCEPTS_REQUESTED.labels("logistics").inc()


def carrier_callback(carrier: str, outcome: str) -> None:
    """``outcome``: applied or refused."""
    CARRIER_CALLBACKS.labels(carrier, outcome).inc()
