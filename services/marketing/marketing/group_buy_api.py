"""HTTP routes of group buys (拼团): parse, call one use case, serialize.

Public: running campaigns with their open groups, one campaign, one group. Admin:
create, list, end early. Starting and joining a group place an order: the order
service answers those (``POST /group-buys/{id}/groups``, ``.../groups/{gid}/join``).
"""

from flask.views import MethodView

from marketing import group_buys
from marketing.group_buy_schemas import (
    AdminGroupBuyPageSchema,
    AdminGroupBuySchema,
    GroupBuyDetailSchema,
    GroupBuyListSchema,
    GroupBuyPatchSchema,
    GroupSchema,
    NewGroupBuySchema,
)
from service_runtime.app import current_db
from service_runtime.auth import ADMIN
from service_runtime.blueprint import Blueprint
from service_runtime.openapi import SecuredBlueprint
from service_runtime.paging import PageQuerySchema

group_buys_blp = Blueprint("group-buys", __name__, url_prefix="/api/v1/group-buys",
                           description="Group buys (拼团): campaigns and groups")
group_buys_admin = SecuredBlueprint("group-buys-admin", __name__,
                                    url_prefix="/api/v1/admin/group-buys", role=ADMIN,
                                    description="Group-buy campaigns")

CAMPAIGN = "/<string(maxlength=40):campaign_id>"
GROUP = "/groups/<string(maxlength=64):group_id>"


@group_buys_blp.route("")
class RunningGroupBuys(MethodView):
    @group_buys_blp.response(200, GroupBuyListSchema)
    def get(self):  # type: ignore[no-untyped-def]
        """Campaigns running now with open groups to join (`needed`, `expires_at`) and
        `server_time` for countdowns."""
        return group_buys.running_campaigns(current_db())


@group_buys_blp.route(CAMPAIGN)
class GroupBuyById(MethodView):
    @group_buys_blp.response(200, GroupBuyDetailSchema)
    def get(self, campaign_id):  # type: ignore[no-untyped-def]
        return group_buys.get_campaign(current_db(), campaign_id)


@group_buys_blp.route(GROUP)
class GroupById(MethodView):
    @group_buys_blp.response(200, GroupSchema)
    def get(self, group_id):  # type: ignore[no-untyped-def]
        """Members (masked ids, paid or not), places `needed`, `expires_at`, `status`
        (open | succeeded | failed) and `server_time`."""
        return group_buys.get_group(current_db(), group_id)


@group_buys_admin.route("")
class AdminGroupBuys(MethodView):
    @group_buys_admin.arguments(NewGroupBuySchema)
    @group_buys_admin.response(201, AdminGroupBuySchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        """A campaign; a group has `fill_hours` (or `fill_seconds`) to fill and pay,
        never past the campaign's end."""
        return group_buys.create_campaign(current_db(), body)

    @group_buys_admin.arguments(PageQuerySchema, location="query")
    @group_buys_admin.response(200, AdminGroupBuyPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return group_buys.list_campaigns(current_db(), query["limit"], query["cursor"])


@group_buys_admin.route(CAMPAIGN)
class AdminGroupBuyById(MethodView):
    @group_buys_admin.arguments(GroupBuyPatchSchema)
    @group_buys_admin.response(200, AdminGroupBuySchema)
    def patch(self, body, campaign_id):  # type: ignore[no-untyped-def]
        """`{"status": "ended"}` ends it now: its open groups fail at once (the timer)."""
        return group_buys.end_campaign(current_db(), campaign_id, body)
