"""One checkout is one trace: the client's ``traceparent`` goes through the gateway, the
order API, the outbox and Kafka to catalog and payment and back to order, and every
process exports its spans of it (to the test's OTLP receiver)."""

from __future__ import annotations

import secrets

from e2e_steps import place_order, sign_up, start_payment, wait_for_status
from service_runtime.testing.processes import wait_until

SERVER, CONSUMER = 2, 5  # opentelemetry.proto.trace.v1.Span.SpanKind


def test_one_order_is_one_trace_across_the_services(stack, http):
    shopper = sign_up(stack, "traced")
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    traced = {**shopper, "traceparent": f"00-{trace_id}-{client_span}-01"}
    order = place_order(stack, http, traced, [{"sku": "KETTLE-MI-1.7L-WHITE", "quantity": 1}])
    wait_for_status(stack, http, order["id"], shopper, "awaiting_payment")

    # The saga as far as awaiting payment: OrderPlaced reserves stock (catalog) and is
    # owed (payment), StockReserved makes the payment due, PaymentDue reaches order.
    wanted = {("order", SERVER, "POST /api/v1/orders"),
              ("catalog", CONSUMER, "OrderPlaced process"),
              ("payment", CONSUMER, "OrderPlaced process"),
              ("payment", CONSUMER, "StockReserved process"),
              ("order", CONSUMER, "PaymentDue process")}

    def seen() -> set:
        spans = stack.traces.spans(trace_id)
        return {(s.service, s.kind, s.name) for s in spans} | {
            ("gateway", s.kind, "proxied") for s in spans if s.service == "gateway"}

    wanted.add(("gateway", SERVER, "proxied"))  # named by the upstream's route template

    wait_until(lambda: wanted <= seen(), 30, 0.2,
               f"the order's spans in one trace (missing {wanted - seen()})")
    spans = stack.traces.spans(trace_id)
    by_id = {span.span_id: span for span in spans}
    [placing] = [s for s in spans if s.service == "order" and s.kind == SERVER
                 and s.name == "POST /api/v1/orders"]
    gateway = by_id[placing.parent_span_id]  # the gateway's span of the request it proxied
    assert (gateway.service, gateway.kind) == ("gateway", SERVER)
    assert gateway.parent_span_id == client_span  # the client's trace, continued
    # Each step is a child of the one whose event it handles: the chain is unbroken.
    [reserving] = [s for s in spans if (s.service, s.name) == ("catalog", "OrderPlaced process")]
    assert reserving.parent_span_id == placing.span_id
    [stock] = [s for s in spans if (s.service, s.name) == ("payment", "StockReserved process")]
    assert by_id[stock.parent_span_id] == reserving
    # Payment announces PaymentDue on whichever of OrderPlaced and StockReserved it hears
    # last: either way, from a span of this trace.
    [awaiting] = [s for s in spans if (s.service, s.name) == ("order", "PaymentDue process")]
    assert by_id[awaiting.parent_span_id].service == "payment"
    assert by_id[awaiting.parent_span_id].kind == CONSUMER


def test_one_checkout_paid_from_the_balance_prints_as_one_tree(stack, http):
    """A checkout (place, then pay) as the client's one trace, printed the way an SRE reads
    it: every step under the one whose event or call caused it, with its timing. The tree
    goes to ``checkout-trace.txt`` in the stack's log directory and to the test's output."""
    shopper = sign_up(stack, "printed")
    trace_id = secrets.token_hex(16)
    placing = {**shopper, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    order = place_order(stack, http, placing, [{"sku": "KETTLE-MI-1.7L-WHITE", "quantity": 1}])
    wait_for_status(stack, http, order["id"], shopper, "awaiting_payment")
    paying = {**shopper, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    start_payment(stack, http, paying, order["id"], "balance")
    wait_for_status(stack, http, order["id"], shopper, "paid")

    # Paying is the client's second request of the trace; PaymentConfirmed reaches order.
    wanted = {("payment", SERVER, "POST /api/v1/payments"),
              ("order", CONSUMER, "PaymentConfirmed process")}
    wait_until(lambda: wanted <= {(s.service, s.kind, s.name)
                                  for s in stack.traces.spans(trace_id)}, 30, 0.2,
               "the payment's spans in the checkout's trace")
    tree = stack.traces.render(trace_id)
    (stack.log_dir / "checkout-trace.txt").write_text(tree + "\n", encoding="utf-8")
    print(tree)

    # The client's requests are the roots (each first seen by the gateway; placing the
    # order also looked up the address), and the confirmation is nested under the payment
    # request that caused it.
    lines = tree.splitlines()[2:]
    roots = {line[20:] for line in lines if not line[20:].startswith(" ")}
    assert {"gateway server POST /api/v1/orders", "gateway server POST /api/v1/payments"} <= roots
    assert all(root.startswith("gateway server") for root in roots), tree
    depth = {line[20:].strip(): (len(line[20:]) - len(line[20:].lstrip())) // 2
             for line in lines}
    assert depth["order server POST /api/v1/orders"] == 1, tree
    assert depth["payment server POST /api/v1/payments"] == 1, tree
    paid_at = next(i for i, line in enumerate(lines) if "POST /api/v1/payments" in line)
    confirmed_at = next(i for i, line in enumerate(lines)
                        if line.endswith("order consumer PaymentConfirmed process"))
    assert confirmed_at > paid_at and depth["order consumer PaymentConfirmed process"] > 1, tree
