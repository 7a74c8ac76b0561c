"""HTTP routes of the catalog service: parse, call one use case, serialize."""

from flask.views import MethodView

from catalog import browse, products
from catalog.categories import category_tree
from catalog.product_view import get_product
from catalog.schemas import (
    AdminProductSchema,
    AdminSkuSchema,
    CategoryTreeSchema,
    NewProductSchema,
    ProductChangesSchema,
    ProductListQuerySchema,
    ProductPageSchema,
    ProductSchema,
    StockSchema,
    SuggestionsSchema,
    SuggestQuerySchema,
)
from catalog.suggest import suggest
from service_runtime.app import current_db
from service_runtime.auth import ADMIN
from service_runtime.blueprint import Blueprint
from service_runtime.openapi import SecuredBlueprint

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Catalog and search")
admin = SecuredBlueprint("catalog-admin", __name__, url_prefix="/api/v1/admin", role=ADMIN,
                         description="Catalog administration (admin role)")


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, CategoryTreeSchema)
    def get(self):  # type: ignore[no-untyped-def]
        return {"items": category_tree(current_db())}


@blp.route("/products")
class Products(MethodView):
    @blp.arguments(ProductListQuerySchema, location="query")
    @blp.response(200, ProductPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return browse.search_products(current_db(), browse.ProductQuery(**query))


@blp.route("/products/<int:product_id>")
class ProductById(MethodView):
    @blp.response(200, ProductSchema)
    def get(self, product_id):  # type: ignore[no-untyped-def]
        return get_product(current_db(), product_id)


@blp.route("/search/suggest")
class Suggest(MethodView):
    @blp.arguments(SuggestQuerySchema, location="query")
    @blp.response(200, SuggestionsSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return {"items": suggest(current_db(), query["q"], query["limit"])}


@admin.route("/products")
class AdminProducts(MethodView):
    @admin.arguments(NewProductSchema)
    @admin.response(201, AdminProductSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        product = products.create_product(current_db(), body)
        return get_product(current_db(), product.id)


@admin.route("/products/<int:product_id>")
class AdminProductById(MethodView):
    @admin.response(200, AdminProductSchema)
    def get(self, product_id):  # type: ignore[no-untyped-def]
        """The product as the merchant manages it: each SKU's stock on hand and reserved."""
        return get_product(current_db(), product_id)

    @admin.arguments(ProductChangesSchema)
    @admin.response(200, AdminProductSchema)
    def patch(self, changes, product_id):  # type: ignore[no-untyped-def]
        products.update_product(current_db(), product_id, changes)
        return get_product(current_db(), product_id)


@admin.route("/skus/<string:sku>/stock")
class AdminStock(MethodView):
    @admin.arguments(StockSchema)
    @admin.response(200, AdminSkuSchema)
    def put(self, body, sku):  # type: ignore[no-untyped-def]
        return products.set_stock(current_db(), sku, body["quantity"])
