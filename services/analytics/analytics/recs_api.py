"""HTTP routes of recommendations: parse, call one reading (``analytics.recs_read``),
serialize. A product's are public (the gateway may keep them a second); a user's need
the user signed in."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from analytics import recs_read
from service_runtime.app import current_db
from service_runtime.auth import current_user_id
from service_runtime.blueprint import Blueprint
from service_runtime.bounds import INT32_MAX, QueryInteger
from service_runtime.errors import NotFound
from service_runtime.money import MoneySchema
from service_runtime.openapi import signed_in

recs = Blueprint("recommendations", __name__, url_prefix="/api/v1",
                 description="Recommendations from orders, views and product facts")


class LimitQuerySchema(Schema):
    limit = QueryInteger(minimum=1, maximum=50, load_default=10,
                         metadata={"description": "at most this many products per list"})


class RecommendedProductSchema(Schema):
    """What analytics knows of a product: its id always, the rest once it has heard of it."""

    id = fields.Integer(required=True)
    name = fields.String()
    brand = fields.String()
    category_id = fields.Integer()
    price = fields.Nested(MoneySchema, metadata={"description": "The lowest SKU price"})


class ProductRecommendationsSchema(Schema):
    product_id = fields.Integer(required=True)
    bought_together = fields.List(fields.Nested(RecommendedProductSchema), required=True)
    viewed_together = fields.List(fields.Nested(RecommendedProductSchema), required=True)
    similar = fields.List(fields.Nested(RecommendedProductSchema), required=True)
    fallback = fields.Boolean(required=True, metadata={
        "description": "The product is not known to analytics yet: `similar` holds the "
                       "most popular products instead"})


class UserRecommendationsSchema(Schema):
    source = fields.String(required=True, validate=validate.OneOf(["personal", "popular"]),
                           metadata={"description": "`popular` for a user with no history"})
    items = fields.List(fields.Nested(RecommendedProductSchema), required=True)


@recs.route("/products/<int(signed=False):product_id>/recommendations")
class ProductRecommendations(MethodView):
    @recs.arguments(LimitQuerySchema, location="query")
    @recs.response(200, ProductRecommendationsSchema)
    def get(self, query: dict[str, Any], product_id: int) -> dict[str, Any]:
        """Bought together, viewed together and similar products. A product not heard of
        yet is no 404: its `similar` are popular products, and `fallback` is true (the
        catalog says whether a product exists; analytics hears of new ones late)."""
        if product_id > INT32_MAX:  # no product has such an id (ids are 32-bit)
            raise NotFound(f"no product {product_id}")
        return recs_read.for_product(current_db(), product_id, query["limit"])


@recs.route("/users/me/recommendations")
class MyRecommendations(MethodView):
    @signed_in
    @recs.arguments(LimitQuerySchema, location="query")
    @recs.response(200, UserRecommendationsSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Products for the caller, from what they viewed and bought (popular ones for a
        user with no history)."""
        return recs_read.for_user(current_db(), current_user_id(), query["limit"])
