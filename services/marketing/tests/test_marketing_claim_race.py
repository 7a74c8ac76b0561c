"""50 buyers claiming the last 10 coupons at once get exactly 10; one buyer claiming many
times at once gets no more than the per-user limit. Real threads against the real database
(SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from sqlalchemy import func, select

from marketing.models import CouponTemplate, UserCoupon


def claim_at_once(app, template_id: str, headers: list[dict]) -> list[int]:
    barrier = Barrier(len(headers))

    def claim(header: dict) -> int:
        client = app.test_client()
        barrier.wait()
        return client.post(f"/api/v1/coupons/{template_id}/claim", headers=header).status_code

    with ThreadPoolExecutor(max_workers=len(headers)) as pool:
        return list(pool.map(claim, headers))


def counts(db, template_id: str) -> tuple[int, int]:
    with db.read() as session:
        issued = session.scalar(select(CouponTemplate.issued)
                                .where(CouponTemplate.id == template_id))
        held = session.scalar(select(func.count()).select_from(UserCoupon)
                              .where(UserCoupon.template_id == template_id))
    return issued, held


def test_fifty_buyers_claiming_the_last_ten(app, db, new_coupon, headers_of):
    coupon = new_coupon(total_quantity=12)
    for early in ("early-1", "early-2"):
        assert app.test_client().post(f"/api/v1/coupons/{coupon['id']}/claim",
                                      headers=headers_of(early)).status_code == 201
    statuses = claim_at_once(app, coupon["id"], [headers_of(f"buyer-{n}") for n in range(50)])
    assert sorted(statuses) == [201] * 10 + [409] * 40
    assert counts(db, coupon["id"]) == (12, 12)


def test_one_buyer_claiming_many_times_at_once_gets_the_limit(app, db, new_coupon,
                                                              headers_of):
    coupon = new_coupon(total_quantity=100, per_user_limit=3)
    statuses = claim_at_once(app, coupon["id"], [headers_of("greedy")] * 12)
    assert sorted(statuses) == [201] * 3 + [409] * 9
    assert counts(db, coupon["id"]) == (3, 3)
