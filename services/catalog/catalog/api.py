"""HTTP routes of the catalog service: parse, call one use case, serialize."""

from flask import request
from flask.views import MethodView

from catalog import browse, importing, products
from catalog.categories import category_tree
from catalog.product_view import get_product
from catalog.schemas import (
    AdminProductSchema,
    AdminSkuSchema,
    CategoryTreeSchema,
    NewProductSchema,
    ProductChangesSchema,
    ProductImportSchema,
    ProductListQuerySchema,
    ProductPageSchema,
    ProductSchema,
    StockSchema,
    SuggestionsSchema,
    SuggestQuerySchema,
)
from catalog.suggest import suggest
from service_runtime import ndjson
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


@admin.route("/products/import")
class AdminProductImport(MethodView):
    @admin.doc(
        summary="Import products from an NDJSON file",
        description="One product a line, as `POST /admin/products` takes it; at most "
                    f"{importing.MAX_IMPORT_LINES} lines and the request body limit "
                    "(`MAX_BODY_BYTES`, 1 MiB by default) a file. All or nothing: a bad "
                    "line (named by its number), a product in an unknown category (422) or "
                    "a SKU code taken by another product (409) leaves the catalog as it "
                    "was. Products already there (by their first SKU) are skipped, so the "
                    "same file uploaded again adds nothing.",
        requestBody=ndjson.request_body(NewProductSchema, importing.MAX_IMPORT_LINES))
    @admin.response(200, ProductImportSchema)
    @admin.alt_response(409, description="A SKU code is taken by another product")
    @admin.alt_response(422, description="A line is not a product, or names no category")
    def post(self):  # type: ignore[no-untyped-def]
        lines = ndjson.parse_lines(request.get_data(as_text=True), NewProductSchema(),
                                   importing.MAX_IMPORT_LINES, "product file")
        result = importing.import_products(current_db(), lines)
        return {"products_added": result.products_added,
                "products_skipped": result.products_skipped}


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
