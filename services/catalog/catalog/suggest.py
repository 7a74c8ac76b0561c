"""Autocomplete: brands, categories and product names for what has been typed so far."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from catalog.browse import CACHE, score_subquery
from catalog.domain import query_tokens
from catalog.models import Category, Product
from service_runtime.db import Database


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # brand, category or product
    id: int | None



def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def suggest(db: Database, q: str, limit: int = 10) -> list[Suggestion]:
    """Autocomplete: brands and categories starting with (or containing) the text, then
    the best-matching product names. Kept like the facets: what shoppers type repeats,
    and the brands' sales are summed over the whole catalog."""
    text = q.strip()
    if not text:
        return []
    with db.read() as session:
        return CACHE.get(db, session, ("suggest", text, limit),
                         lambda: _suggestions(session, text, limit))


def _suggestions(session: Session, text: str, limit: int) -> list[Suggestion]:
    suggestions: list[Suggestion] = []
    prefix, anywhere = _like_escape(text) + "%", "%" + _like_escape(text) + "%"
    for brand in session.scalars(
        select(Product.brand).where(Product.brand.ilike(prefix, escape="\\"))
        .group_by(Product.brand).order_by(func.sum(Product.sales_count).desc()).limit(3)
    ):
        suggestions.append(Suggestion(brand, "brand", None))
    for category_id, name in session.execute(
        select(Category.id, Category.name)
        .where(or_(Category.name.ilike(anywhere, escape="\\"),
                   Category.name_en.ilike(prefix, escape="\\")))
        .order_by(Category.level.desc(), Category.id).limit(3)
    ):
        suggestions.append(Suggestion(name, "category", category_id))
    tokens = query_tokens(text)
    if tokens and len(suggestions) < limit:
        scores = score_subquery(tokens)
        rows = session.execute(
            select(Product.id, Product.name).join(scores, scores.c.product_id == Product.id)
            .order_by(scores.c.score.desc(), Product.sales_count.desc(), Product.id)
            .limit(limit - len(suggestions))
        ).all()
        suggestions.extend(Suggestion(name, "product", pid) for pid, name in rows)
    return suggestions[:limit]
