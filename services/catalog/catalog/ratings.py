"""Product ratings folded in from after-sales reviews."""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from catalog.models import Product

log = logging.getLogger(__name__)


def add_rating(session: Session, product_id: int, rating: int) -> bool:
    """``ReviewPosted``: fold one rating into the product's count and average, in one
    UPDATE (both right-hand sides see the old row, so concurrent reviews cannot lose one).
    The average is the exact total over the count, x100, rounded half up. The inbox applies
    each review once; a product the catalog does not know is logged and skipped. True if a
    product changed.

    Nothing is published: ``ProductUpdated`` carries no rating.
    """
    changed = session.execute(
        update(Product).where(Product.id == product_id)
        .values(
            rating_count=Product.rating_count + 1,
            rating_total=Product.rating_total + rating,
            rating_avg_x100=((Product.rating_total + rating) * 100
                             + (Product.rating_count + 1) // 2) // (Product.rating_count + 1),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        log.warning("review of a product the catalog does not know; skipped",
                    extra={"product_id": product_id})
    return changed == 1
