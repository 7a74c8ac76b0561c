"""Request and response bodies of the catalog API."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from catalog.domain import SORTS, Cursor, InvalidCursor, rating_average
from service_runtime.bounds import INT32_MAX, QueryInteger
from service_runtime.money import MoneySchema, money_json
from service_runtime.paging import Cursor as CursorField
from service_runtime.paging import page_limit

MAX_ID = INT32_MAX  # an INTEGER id column
MAX_PRICE = 10**9
MAX_STOCK = 10**6
SKU_CODE = validate.And(
    validate.Length(min=1, max=64),
    validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", error="letters, digits, . _ - only"),
)


class PriceSchema(MoneySchema):
    """A price as the catalog takes it: the runtime's money, under the catalog's ceiling."""

    amount = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=0, max=MAX_PRICE),
                            metadata={"description": "In minor units (fen)"})


def _attributes(**kwargs):  # type: ignore[no-untyped-def]
    return fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=32)),
                       values=fields.String(validate=validate.Length(max=100)),
                       validate=validate.Length(max=10), **kwargs)


def _specs(**kwargs):  # type: ignore[no-untyped-def]
    return fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                       values=fields.String(validate=validate.Length(max=500)),
                       validate=validate.Length(max=50), **kwargs)


def _images(**kwargs):  # type: ignore[no-untyped-def]
    return fields.List(fields.Url(schemes={"http", "https"}, validate=validate.Length(max=500)),
                       validate=validate.Length(max=20), **kwargs)


# -- queries ------------------------------------------------------------------------


class ProductListQuerySchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=100),
                      metadata={"description": "Words in Chinese or English"})
    category = QueryInteger(minimum=1, maximum=MAX_ID, load_default=None,
                            metadata={"description": "A category and everything below it"})
    brand = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    price_min = QueryInteger(maximum=MAX_PRICE, load_default=None,
                             metadata={"description": "In minor units (fen)"})
    price_max = QueryInteger(maximum=MAX_PRICE, load_default=None,
                             metadata={"description": "In minor units (fen)"})
    in_stock = fields.Boolean(load_default=None)
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    # base64url of [sort, value, last id]; it must belong to this query's sort
    cursor = CursorField(r"[A-Za-z0-9_-]{1,300}")
    limit = page_limit()

    @validates_schema
    def price_range(self, data, **kwargs):  # type: ignore[no-untyped-def]
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            raise ValidationError("must not be above price_max", "price_min")

    @validates_schema
    def cursor_of_this_sort(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if data.get("cursor"):
            try:
                Cursor.decode(data["cursor"], data["sort"])
            except InvalidCursor as exc:
                raise ValidationError(exc.detail or exc.title, "cursor") from exc


class SuggestQuerySchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=50))
    limit = page_limit(default=10, maximum=10)


# -- responses ----------------------------------------------------------------------


class CategoryNodeSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    level = fields.Integer()
    children = fields.List(fields.Nested(lambda: CategoryNodeSchema()))


class CategoryTreeSchema(Schema):
    items = fields.List(fields.Nested(CategoryNodeSchema))


class RatingSchema(Schema):
    count = fields.Integer()
    average = fields.Float(allow_none=True, metadata={"description": "1 to 5 stars"})


def _rating(product) -> dict:  # type: ignore[no-untyped-def]
    return {"count": product.rating_count,
            "average": rating_average(product.rating_avg_x100, product.rating_count)}


class ProductSummarySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    brand = fields.String()
    category_id = fields.Integer()
    image = fields.Method("image_of", metadata={"type": "string"})
    price = fields.Method("price_of", metadata={"description": "The lowest SKU price"})
    in_stock = fields.Method("in_stock_of", metadata={"type": "boolean"})
    sales_count = fields.Integer()
    rating = fields.Method("rating_of")
    created_at = fields.AwareDateTime()

    def image_of(self, product):  # type: ignore[no-untyped-def]
        return product.images[0] if product.images else None

    def price_of(self, product):  # type: ignore[no-untyped-def]
        return money_json(product.price_amount, product.currency)

    def in_stock_of(self, product):  # type: ignore[no-untyped-def]
        return product.in_stock

    def rating_of(self, product):  # type: ignore[no-untyped-def]
        return _rating(product)


class BrandFacetSchema(Schema):
    brand = fields.String()
    count = fields.Integer()


class CategoryFacetSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    count = fields.Integer()


class PriceBucketSchema(Schema):
    min = fields.Integer()
    max = fields.Integer(allow_none=True, metadata={"description": "exclusive; null: no limit"})
    count = fields.Integer()


class FacetsSchema(Schema):
    brands = fields.List(fields.Nested(BrandFacetSchema))
    categories = fields.List(fields.Nested(CategoryFacetSchema))
    price_buckets = fields.List(fields.Nested(PriceBucketSchema))


class ProductPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSummarySchema))
    facets = fields.Nested(FacetsSchema)
    next_cursor = fields.String(allow_none=True)


class SkuSchema(Schema):
    sku = fields.String()
    attributes = fields.Dict(keys=fields.String(), values=fields.String())
    price = fields.Method("price_of")
    available = fields.Integer(metadata={"description": "On hand minus reserved, right now"})

    def price_of(self, sku):  # type: ignore[no-untyped-def]
        return money_json(sku.price_amount, sku.currency)


class AdminSkuSchema(SkuSchema):
    on_hand = fields.Integer()
    reserved = fields.Integer()


class CategoryRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String()


class ProductSchema(ProductSummarySchema):
    description = fields.String()
    images = fields.List(fields.String())
    specs = fields.Dict(keys=fields.String(), values=fields.String())
    category_path = fields.List(fields.Nested(CategoryRefSchema),
                                metadata={"description": "From the top level down"})
    skus = fields.List(fields.Nested(SkuSchema))
    updated_at = fields.AwareDateTime()


class AdminProductSchema(ProductSchema):
    skus = fields.List(fields.Nested(AdminSkuSchema))


class SuggestionSchema(Schema):
    text = fields.String()
    kind = fields.String(metadata={"description": "brand, category or product"})
    id = fields.Integer(allow_none=True)


class SuggestionsSchema(Schema):
    items = fields.List(fields.Nested(SuggestionSchema))


# -- administration -----------------------------------------------------------------


class NewSkuSchema(Schema):
    sku = fields.String(required=True, validate=SKU_CODE)
    attributes = _attributes(load_default=dict)
    price = fields.Nested(PriceSchema, required=True)
    stock = fields.Integer(load_default=0, strict=True,
                           validate=validate.Range(min=0, max=MAX_STOCK))


class NewProductSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    brand = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    category_id = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=1, max=MAX_ID))
    images = _images(load_default=list)
    specs = _specs(load_default=dict)
    skus = fields.List(fields.Nested(NewSkuSchema), required=True,
                       validate=validate.Length(min=1, max=50))


class ProductImportSchema(Schema):
    products_added = fields.Integer(required=True)
    products_skipped = fields.Integer(required=True, metadata={
        "description": "products already in the catalog (by their first SKU), left as they are"})


class SkuChangeSchema(Schema):
    sku = fields.String(required=True, validate=SKU_CODE)
    attributes = _attributes()
    price = fields.Nested(PriceSchema)


class ProductChangesSchema(Schema):
    """Only what is given changes. Stock is set with PUT /admin/skus/{sku}/stock."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    brand = fields.String(validate=validate.Length(min=1, max=64))
    description = fields.String(validate=validate.Length(max=5000))
    category_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID))
    images = _images()
    specs = _specs()
    skus = fields.List(fields.Nested(SkuChangeSchema), validate=validate.Length(min=1, max=50))


class StockSchema(Schema):
    quantity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=0, max=MAX_STOCK))
