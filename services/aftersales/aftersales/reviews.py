"""Product reviews by buyers of delivered orders, and a product's rating summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from aftersales.domain import AlreadyReviewed, RatingSummary, check_reviewable, rating_summary
from aftersales.models import Review
from aftersales.orders import own_order
from service_runtime.db import Database
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox
from service_runtime.paging import page_of

outbox = Outbox("aftersales")


def post_review(db: Database, user_id: str, order_id: str, product_id: int, rating: int,
                text: str, images: Sequence[str]) -> Review:
    """A buyer reviews a product of a delivered or completed order, once per product and
    order (the unique constraint decides between concurrent posts)."""
    with db.transaction() as session:
        check_reviewable(own_order(session, user_id, order_id), product_id)
        at = now()
        review = Review(id=time_ordered_id("rev"), order_id=order_id, product_id=product_id,
                        user_id=user_id, rating=rating, text=text, images=list(images),
                        created_at=at)
        try:
            with session.begin_nested():
                session.add(review)
                session.flush()
        except IntegrityError:
            raise AlreadyReviewed(f"product {product_id} of order {order_id} is reviewed",
                                  product_id=product_id) from None
        outbox.emit(session, "ReviewPosted", key=order_id, data={
            "review_id": review.id, "order_id": order_id, "user_id": user_id,
            "product_id": product_id, "rating": rating, "text": text,
            "posted_at": at.isoformat(),
        })
        return review


@dataclass(frozen=True)
class ReviewPage:
    """A page of a product's reviews and the summary of all of them."""

    product_id: int
    summary: RatingSummary
    items: list[Review]
    next_cursor: str | None


def product_reviews(db: Database, product_id: int, limit: int, cursor: str | None) -> ReviewPage:
    """Public: a product's reviews newest first, with the rating summary of all of them."""
    with db.read() as session:
        counts = dict(session.execute(
            select(Review.rating, func.count()).where(Review.product_id == product_id)
            .group_by(Review.rating)).all())
        query = select(Review).where(Review.product_id == product_id)
        if cursor:
            query = query.where(Review.id < cursor)
        page = page_of(
            list(session.scalars(query.order_by(Review.id.desc()).limit(limit + 1))), limit)
        return ReviewPage(product_id, rating_summary(counts), page.items, page.next_cursor)
