"""The envelope every event travels in, whatever its type."""

from marshmallow import EXCLUDE, Schema, fields, validate


class EnvelopeSchema(Schema):
    """Metadata around an event's ``data``.

    ``key`` is the aggregate id and also the Kafka message key, so one aggregate's
    events land on one partition and stay in order.
    """

    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    source = fields.String(required=True, validate=validate.Length(min=1, max=100))
    occurred_at = fields.AwareDateTime(required=True)
    key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    causation_id = fields.String(required=False, allow_none=True)
    data = fields.Dict(required=True)
