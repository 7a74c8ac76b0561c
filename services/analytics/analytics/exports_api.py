"""HTTP routes of the big-data export and the tag import (admin only): parse, call one
use case, serialize."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from analytics import exports
from analytics.export_datasets import MEDIA_TYPES, Dataset, ExportFormat
from analytics.exports import TagLineSchema, parse_tag_lines
from service_runtime import ndjson
from service_runtime.app import current_db, current_settings
from service_runtime.auth import ADMIN
from service_runtime.downloads import file_answer, file_responses
from service_runtime.ids import utcnow
from service_runtime.openapi import SecuredBlueprint

exports_blp = SecuredBlueprint("analytics_exports", __name__, url_prefix="/api/v1/admin",
                               description="Big-data exports and imported tags (admin)",
                               role=ADMIN)


class DatasetPathSchema(Schema):
    dataset = fields.String(required=True,
                            validate=validate.OneOf([d.value for d in Dataset]))


class ExportQuerySchema(Schema):
    since = fields.String(load_default="", validate=validate.Regexp(r"^[0-9]{0,18}$"),
                          metadata={"description": "the watermark of the last export "
                                                   "(`X-Export-Watermark`); empty or left "
                                                   "out: from the start"})
    limit = fields.Integer(load_default=10_000, validate=validate.Range(min=1, max=100_000))
    format = fields.String(load_default=ExportFormat.NDJSON.value,
                           validate=validate.OneOf([f.value for f in ExportFormat]),
                           metadata={"description": "ndjson (UTF-8) or parquet"})


class TagImportSchema(Schema):
    members = fields.Integer(metadata={"description": "members whose tags were replaced"})
    tags = fields.Integer()
    unknown = fields.List(fields.String(), metadata={
        "description": "member ids of no member of the shop (nothing kept for them)"})


@exports_blp.route("/exports/<string:dataset>")
class Export(MethodView):
    @exports_blp.arguments(DatasetPathSchema, location="path")
    @exports_blp.arguments(ExportQuerySchema, location="query")
    @exports_blp.doc(
        summary="An incremental export of a dataset",
        description="The rows after the watermark `since`, oldest first (at most `limit`); "
                    "`X-Export-Watermark` is the `since` of the next export and "
                    "`X-Export-More: true` says more rows are ready now.",
        responses=file_responses("The rows (NDJSON or Parquet, by `format`)",
                                 MEDIA_TYPES.values()))
    def get(self, path: dict[str, Any], query: dict[str, Any], dataset: str) -> Response:
        settings = current_settings()
        chosen = Dataset(path["dataset"])
        page = exports.export(current_db(), chosen, query["since"], query["limit"], utcnow(),
                              settings.pseudonym_key(),
                              timedelta(seconds=settings.export_settle_s))
        export_format = ExportFormat(query["format"])
        name = f"{chosen.value}-after-{page.since or '0'}.{export_format.value}"
        return file_answer(exports.render(page, export_format), MEDIA_TYPES[export_format],
                           name, len(page.rows),
                           {"X-Export-Watermark": page.watermark,
                            "X-Export-More": "true" if page.more else "false"})


@exports_blp.route("/analytics/profile-tags")
class ProfileTags(MethodView):
    @exports_blp.doc(
        summary="Import tags computed by the big-data platform",
        description="An NDJSON file, one `{member_id, tags}` a line (member ids as in the "
                    "exports); each member's imported tags are replaced by the file's. "
                    "A bad line is reported by its number and nothing is kept.",
        requestBody=ndjson.request_body(TagLineSchema, exports.MAX_TAG_LINES))
    @exports_blp.response(200, TagImportSchema)
    @exports_blp.alt_response(422, description="A line is not a valid tag line")
    def post(self) -> dict[str, Any]:
        lines = parse_tag_lines(request.get_data(as_text=True))
        done = exports.import_tags(current_db(), lines, current_settings().pseudonym_key(),
                                   "upload", utcnow())
        return {"members": done.members, "tags": done.tags, "unknown": done.unknown}
