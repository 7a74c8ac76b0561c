"""The coupon's part of the order saga, fed by events: locked by OrderPlaced (or refused),
given back by OrderCancelled, used by payment; auto-issued coupons; the copies pricing
reads; and the statistics."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

from sqlalchemy import update

from marketing.handlers import handlers
from marketing.members import member_level
from marketing.models import MemberView, ProductView, UserCoupon
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer
from service_runtime.testing.plugin import outbox_events

LINES = [{"sku": "KETTLE-MI-1.7L-WHITE", "quantity": 1, "product_id": 1,
          "unit_price": {"amount": 30000, "currency": "CNY"}}]


def cny(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


def claim(client, headers, template_id: str) -> str:
    response = client.post(f"/api/v1/coupons/{template_id}/claim", headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def place(apply, order_id: str, user_id: str, coupon_id: str | None, template_id: str = "",
          promotion_id: str = "prm_x", total: int = 25000) -> bool:
    adjustments = [{"kind": "full_reduction", "source_id": promotion_id, "label": "满300减40",
                    "amount": cny(4000)}]
    if coupon_id:
        adjustments.append({"kind": "coupon", "source_id": template_id, "label": "满100减10",
                            "amount": cny(1000)})
    return apply("OrderPlaced", order_id=order_id, user_id=user_id, lines=LINES,
                 total=cny(total), user_coupon_id=coupon_id, adjustments=adjustments,
                 placed_at=datetime.now(UTC).isoformat())


def status(db, coupon_id: str) -> tuple[str, str | None]:
    with db.read() as session:
        coupon = session.get(UserCoupon, coupon_id)
        return coupon.status, coupon.order_id


def decisions(db) -> list[tuple[str, str, str | None]]:
    events = outbox_events(db)
    return [(e["type"], e["data"]["order_id"], e["data"].get("reason")) for e in events]


def test_lock_then_pay_makes_the_coupon_used(client, db, alice, apply, new_coupon):
    coupon = claim(client, alice, new_coupon()["id"])
    assert place(apply, "ord_1", "alice", coupon)
    assert status(db, coupon) == ("locked", "ord_1")
    [locked] = outbox_events(db, "CouponLocked")
    assert locked["key"] == "ord_1"
    assert locked["data"]["user_coupon_id"] == coupon
    mine = client.get("/api/v1/users/me/coupons?status=locked", headers=alice).json["items"]
    assert [(c["id"], c["order_id"]) for c in mine] == [(coupon, "ord_1")]
    apply("PaymentConfirmed", order_id="ord_1", user_id="alice")
    assert status(db, coupon) == ("used", "ord_1")
    apply("OrderCancelled", order_id="ord_1", user_id="alice")  # after payment: a refund
    assert status(db, coupon) == ("used", "ord_1")


def test_cancelled_before_payment_the_coupon_comes_back(client, db, alice, apply, new_coupon):
    coupon = claim(client, alice, new_coupon()["id"])
    place(apply, "ord_1", "alice", coupon)
    apply("OrderCancelled", order_id="ord_1", user_id="alice")
    assert status(db, coupon) == ("available", None)
    place(apply, "ord_2", "alice", coupon)
    apply("CashOnDeliveryChosen", order_id="ord_2", user_id="alice")
    assert status(db, coupon) == ("used", "ord_2")


def test_a_coupon_is_never_in_two_orders(client, db, alice, apply, new_coupon):
    coupon = claim(client, alice, new_coupon()["id"])
    place(apply, "ord_1", "alice", coupon)
    place(apply, "ord_2", "alice", coupon)
    assert status(db, coupon) == ("locked", "ord_1")
    assert decisions(db) == [("CouponLocked", "ord_1", None),
                             ("CouponRejected", "ord_2", "not_available")]
    apply("OrderCancelled", order_id="ord_2", user_id="alice")  # the refused order
    assert status(db, coupon) == ("locked", "ord_1")
    place(apply, "ord_1", "alice", coupon)  # ord_1 published again: still its coupon
    assert [d[0] for d in decisions(db)] == ["CouponLocked", "CouponRejected", "CouponLocked"]


def test_orders_racing_for_one_coupon_lock_it_once(client, db, alice, new_coupon,
                                                    make_event):
    """Eight orders with the same coupon handled at once by eight consumers (as replicas
    on different partitions would): one lock, seven refusals."""
    coupon = claim(client, alice, new_coupon()["id"])
    events = [make_event("OrderPlaced", order_id=f"ord_{n}", user_id="alice",
                         user_coupon_id=coupon, placed_at=datetime.now(UTC).isoformat())
              for n in range(8)]
    barrier = Barrier(len(events))

    def handle(event) -> bool:  # type: ignore[no-untyped-def]
        consumer = EventConsumer("marketing", "marketing", db, handlers, KafkaSettings(),
                                 DeliverySettings())
        barrier.wait()
        return consumer.apply(event)

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        assert all(pool.map(handle, events))
    outcomes = sorted(d[0] for d in decisions(db))
    assert outcomes == ["CouponLocked"] + ["CouponRejected"] * 7
    [locked] = outbox_events(db, "CouponLocked")
    assert status(db, coupon) == ("locked", locked["data"]["order_id"])


def test_someone_elses_unknown_or_expired_coupon_is_refused(client, db, alice, apply,
                                                            new_coupon):
    coupon = claim(client, alice, new_coupon()["id"])
    place(apply, "ord_b", "bob", coupon)
    place(apply, "ord_x", "alice", "ucp_nothing")
    with db.transaction() as session:
        session.execute(update(UserCoupon).where(UserCoupon.id == coupon)
                        .values(valid_until=datetime.now(UTC) - timedelta(seconds=1)))
    place(apply, "ord_a", "alice", coupon)
    assert decisions(db) == [("CouponRejected", "ord_b", "unknown"),
                             ("CouponRejected", "ord_x", "unknown"),
                             ("CouponRejected", "ord_a", "expired")]
    assert status(db, coupon) == ("available", None)


def test_a_cancellation_heard_first_leaves_the_coupon_alone(client, db, alice, apply,
                                                             new_coupon):
    coupon = claim(client, alice, new_coupon()["id"])
    apply("OrderCancelled", order_id="ord_1", user_id="alice")
    place(apply, "ord_1", "alice", coupon)
    assert status(db, coupon) == ("available", None)


def test_an_order_without_a_coupon_emits_nothing(db, apply):
    place(apply, "ord_1", "alice", None)
    assert outbox_events(db) == []


def test_coupons_are_issued_on_registration_purchase_and_level(client, apply, new_coupon,
                                                               headers_of):
    welcome = new_coupon(auto_issue="new_user", claimable=False)
    reward = new_coupon(auto_issue="purchase_reward", claimable=False, per_user_limit=5)
    gold = new_coupon(auto_issue="level:gold", claimable=False, total_quantity=1)
    new_coupon(auto_issue="new_user", claimable=False, status="paused")
    apply("UserRegistered", user_id="carol")
    registered = apply("UserRegistered", user_id="carol")  # another registration event
    assert registered
    apply("OrderCompleted", order_id="ord_1", user_id="carol")
    apply("OrderCompleted", order_id="ord_2", user_id="carol")
    apply("MemberLevelReached", user_id="carol", level="silver", previous_level="regular")
    apply("MemberLevelReached", user_id="carol", level="gold", previous_level="silver")
    apply("MemberLevelReached", user_id="dave", level="gold", previous_level="silver")
    mine = client.get("/api/v1/users/me/coupons", headers=headers_of("carol")).json["items"]
    assert sorted(c["template_id"] for c in mine) == sorted(
        [welcome["id"], reward["id"], reward["id"], gold["id"]])
    assert all(c["source"] == "auto" for c in mine)
    daves = client.get("/api/v1/users/me/coupons", headers=headers_of("dave")).json["items"]
    assert daves == []  # the gold coupon ran out: nothing, and no error


def test_the_copies_keep_the_newest(db, apply):
    now = datetime.now(UTC)
    apply("ProductUpdated", product_id=5, brand="小米", category_id=111,
          category_path=[1, 11, 111], updated_at=now.isoformat())
    apply("ProductUpdated", product_id=5, brand="old", category_id=112, category_path=None,
          updated_at=(now - timedelta(hours=1)).isoformat())
    apply("ProductUpdated", product_id=6, brand="美的", category_id=112, category_path=None,
          updated_at=now.isoformat())
    apply("MembershipChanged", user_id="alice", level="gold", growth=6000,
          points_balance=800, changed_at=now.isoformat())
    apply("MembershipChanged", user_id="alice", level="silver", growth=2000,
          points_balance=100, changed_at=(now - timedelta(days=1)).isoformat())
    with db.read() as session:
        assert (session.get(ProductView, 5).brand, session.get(ProductView, 5).category_path) \
            == ("小米", [1, 11, 111])
        assert session.get(ProductView, 6).category_path == [112]
        alice = session.get(MemberView, "alice")
        assert (alice.level, alice.points_balance) == ("gold", 800)
        assert member_level(session, "nobody") == "regular"


def test_statistics_per_coupon_and_promotion(client, alice, bob, admin_headers, apply,
                                             new_coupon):
    template = new_coupon()
    promotion = client.post("/api/v1/admin/promotions", headers=admin_headers, json={
        "name": "满300减40", "kind": "full_reduction",
        "tiers": [{"threshold": cny(30000), "off": cny(4000)}],
        "starts_at": datetime.now(UTC).isoformat(),
        "ends_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}).json
    a, b = claim(client, alice, template["id"]), claim(client, bob, template["id"])
    place(apply, "ord_a", "alice", a, template["id"], promotion["id"], total=25000)
    place(apply, "ord_b", "bob", b, template["id"], promotion["id"], total=26000)
    place(apply, "ord_c", "alice", None, promotion_id=promotion["id"], total=26000)
    apply("PaymentConfirmed", order_id="ord_a", user_id="alice")
    apply("PaymentConfirmed", order_id="ord_c", user_id="alice")
    apply("OrderCancelled", order_id="ord_b", user_id="bob")
    stats = client.get("/api/v1/admin/marketing/stats", headers=admin_headers).json
    [coupon] = stats["coupons"]
    assert (coupon["template_id"], coupon["issued"], coupon["used"], coupon["orders"]) == (
        template["id"], 2, 1, 1)
    assert (coupon["discount"], coupon["gmv"]) == (cny(1000), cny(25000))
    [reduction] = stats["promotions"]
    assert (reduction["promotion_id"], reduction["orders"]) == (promotion["id"], 2)
    assert (reduction["discount"], reduction["gmv"]) == (cny(8000), cny(51000))
    assert client.get("/api/v1/admin/marketing/stats", headers=alice).status_code == 403
