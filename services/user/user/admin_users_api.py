"""The admin's view of one user: the account and what the middle platform granted it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from service_runtime.app import current_db
from service_runtime.auth import ADMIN
from service_runtime.errors import NotFound
from service_runtime.openapi import SecuredBlueprint
from user.member_permissions import permissions_of
from user.models import User

admin_users = SecuredBlueprint("admin_users", __name__, url_prefix="/api/v1/admin/users",
                               description="Users as the admin sees them", role=ADMIN)


class GrantedSchema(Schema):
    permissions = fields.List(fields.String())
    sequence = fields.Integer()
    changed_at = fields.DateTime()


class AdminUserSchema(Schema):
    id = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    nickname = fields.String()
    role = fields.String()
    created_at = fields.DateTime()
    # Granted by the middle platform (integration.member-permissions.inbound); null until
    # it sent any.
    platform_permissions = fields.Nested(GrantedSchema, allow_none=True)


class UserNotFound(NotFound):
    slug = "user-not-found"


@admin_users.route("/<string:user_id>")
class AdminUser(MethodView):
    @admin_users.response(200, AdminUserSchema)
    @admin_users.alt_response(404, description="No such user")
    def get(self, user_id: str) -> dict[str, Any]:
        """One user's account and middle-platform permissions."""
        db = current_db()
        with db.read() as session:
            user = session.get(User, user_id)
            if user is None:
                raise UserNotFound(f"no user {user_id}")
            session.expunge(user)
        return {**{k: getattr(user, k) for k in ("id", "email", "phone", "nickname", "role",
                                                  "created_at")},
                "platform_permissions": permissions_of(db, user_id)}
