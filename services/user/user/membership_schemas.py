"""Bodies of the membership API."""

from marshmallow import Schema, fields

from event_contracts.membership import LEVEL_VALUES
from service_runtime.money import MoneySchema
from service_runtime.paging import Cursor, page_limit
from user.points import KINDS

LEDGER_ID = r"[0-9]{1,18}"


class MembershipQuerySchema(Schema):
    """Paging of the points history: ``limit`` and the ``next_cursor`` of the last page."""

    limit = page_limit()
    cursor = Cursor(pattern=LEDGER_ID, decode=int)


class LevelSchema(Schema):
    code = fields.String(metadata={"enum": list(LEVEL_VALUES)})
    name = fields.String(metadata={"description": "the level's Chinese name, e.g. 白银会员"})
    min_growth = fields.Integer()


class NextLevelSchema(LevelSchema):
    growth_missing = fields.Integer()


class PointsSchema(Schema):
    balance = fields.Integer(metadata={"description": "spendable now; 100 points = ¥1"})
    locked = fields.Integer(metadata={"description": "held by unpaid orders"})
    debt = fields.Integer(metadata={
        "description": "clawed back beyond the balance; settled from the next points"})


class PerksSchema(Schema):
    free_shipping_threshold = fields.Nested(MoneySchema, metadata={
        "description": "goods (after discounts) from which standard delivery is free"})
    member_prices = fields.Boolean(metadata={"description": "member prices apply"})


class LedgerEntrySchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"enum": list(KINDS)})
    order_id = fields.String(allow_none=True)
    delta = fields.Integer(metadata={"description": "change of the balance"})
    locked_delta = fields.Integer()
    debt_delta = fields.Integer()
    growth_delta = fields.Integer()
    balance_after = fields.Integer()
    locked_after = fields.Integer()
    debt_after = fields.Integer()
    at = fields.AwareDateTime()


class LedgerPageSchema(Schema):
    items = fields.List(fields.Nested(LedgerEntrySchema))
    next_cursor = fields.String(allow_none=True)


class MembershipSchema(Schema):
    level = fields.Nested(LevelSchema)
    growth = fields.Integer()
    next_level = fields.Nested(NextLevelSchema, allow_none=True)
    progress_percent = fields.Integer()
    points = fields.Nested(PointsSchema)
    perks = fields.Nested(PerksSchema)
    history = fields.Nested(LedgerPageSchema)
