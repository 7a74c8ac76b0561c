"""What the group-buy (拼团) routes take and answer."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketing.domain import MAX_NAME
from marketing.group_rules import MAX_FILL_SECONDS, MAX_SIZE, MIN_SIZE, CampaignStatus, GroupStatus
from service_runtime.money import MoneySchema

SKU = validate.Length(min=1, max=64)


class NewGroupBuySchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=MAX_NAME))
    sku = fields.String(required=True, validate=SKU)
    product_id = fields.Integer(strict=True, allow_none=True,
                                validate=validate.Range(min=1, max=2**31 - 1))
    group_price = fields.Nested(MoneySchema, required=True,
                                metadata={"description": "per unit"})
    group_size = fields.Integer(required=True, strict=True,
                                validate=validate.Range(min=MIN_SIZE, max=MAX_SIZE))
    fill_hours = fields.Integer(strict=True, validate=validate.Range(
        min=1, max=MAX_FILL_SECONDS // 3600), metadata={
        "description": "how long a group has to fill and pay (give this or fill_seconds)"})
    fill_seconds = fields.Integer(strict=True, validate=validate.Range(
        min=1, max=MAX_FILL_SECONDS), metadata={
        "description": "the fill time in seconds, for tests and operations"})
    starts_at = fields.AwareDateTime(allow_none=True, metadata={"description": "default: now"})
    ends_at = fields.AwareDateTime(required=True)
    per_user_limit = fields.Integer(strict=True, load_default=1,
                                    validate=validate.Range(min=1, max=10), metadata={
                                        "description": "groups a buyer may be in at a time"})

    @validates_schema
    def one_fill_time(self, data: dict, **_kwargs: object) -> None:
        if ("fill_hours" in data) == ("fill_seconds" in data):
            raise ValidationError("give fill_hours or fill_seconds (one of them)", "fill_hours")


class GroupBuyPatchSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf([CampaignStatus.ENDED.value]),
                           metadata={"description": "ended: end the campaign now"})


class GroupBuySchema(Schema):
    id = fields.String()
    name = fields.String()
    sku = fields.String()
    product_id = fields.Integer(allow_none=True)
    group_price = fields.Nested(MoneySchema)
    list_price = fields.Nested(MoneySchema, allow_none=True,
                               metadata={"description": "the SKU's price, when known"})
    group_size = fields.Integer()
    fill_seconds = fields.Integer()
    per_user_limit = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    status = fields.String(metadata={"enum": [s.value for s in CampaignStatus]})


class AdminGroupBuySchema(GroupBuySchema):
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class AdminGroupBuyPageSchema(Schema):
    items = fields.List(fields.Nested(AdminGroupBuySchema))
    next_cursor = fields.String(allow_none=True)


class OpenGroupSchema(Schema):
    id = fields.String()
    needed = fields.Integer(metadata={"description": "places still free"})
    expires_at = fields.AwareDateTime()


class RunningGroupBuySchema(GroupBuySchema):
    open_groups = fields.List(fields.Nested(OpenGroupSchema))


class GroupBuyListSchema(Schema):
    items = fields.List(fields.Nested(RunningGroupBuySchema))
    server_time = fields.AwareDateTime()


class GroupBuyDetailSchema(GroupBuySchema):
    server_time = fields.AwareDateTime()


class GroupMemberSchema(Schema):
    user = fields.String(metadata={"description": "the member's id, masked"})
    paid = fields.Boolean()
    leader = fields.Boolean(metadata={"description": "started the group"})


class GroupSchema(Schema):
    id = fields.String()
    campaign_id = fields.String()
    sku = fields.String()
    product_id = fields.Integer(allow_none=True)
    group_price = fields.Nested(MoneySchema)
    size = fields.Integer()
    needed = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in GroupStatus]})
    expires_at = fields.AwareDateTime()
    members = fields.List(fields.Nested(GroupMemberSchema))
    server_time = fields.AwareDateTime()
