"""Two worker replicas handle an order's OrderPlaced and StockReserved at the same moment."""

import threading

from payment import payables
from payment.domain import PayableStatus
from payment.models import Payable


def test_order_placed_while_stock_reserved_is_uncommitted_still_makes_the_payable_due(db):
    placed = threading.Thread(target=lambda: _record_payable(db, "ord_race"))
    with db.transaction() as first_replica:
        payables.stock_reserved(first_replica, "ord_race")  # no payable yet: remembered
        placed.start()
        # The second replica must wait for the first's transaction: had it read the
        # order's progress now, it would not see the reservation and never make it due.
        placed.join(timeout=2)
        still_waiting = placed.is_alive()
    placed.join(timeout=30)
    assert still_waiting
    with db.transaction() as session:
        assert session.get(Payable, "ord_race").status == PayableStatus.DUE


def _record_payable(db, order_id: str) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as second_replica:
        payables.record_payable(second_replica, order_id, "alice", 14900, "CNY")
