"""Request and response bodies of the accounts API."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

PHONE = validate.Regexp(r"^1[3-9]\d{9}$", error="a mainland China mobile number, 11 digits")
PASSWORD = validate.Length(min=8, max=128)


class RegisterSchema(Schema):
    class Meta:
        json_schema = {"anyOf": [{"required": ["email"]}, {"required": ["phone"]}]}

    # Not nullable: "sent" and "given" are the same thing, as the anyOf above says.
    email = fields.Email(load_default=None, allow_none=False, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=False, validate=PHONE)
    password = fields.String(required=True, load_only=True, validate=PASSWORD)
    nickname = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    code = fields.String(load_default=None, validate=validate.Length(max=10))

    @validates_schema
    def email_or_phone(self, data, **_kwargs):  # type: ignore[no-untyped-def]
        if not data.get("email") and not data.get("phone"):
            raise ValidationError("give an email or a phone number", "email")


class RegisteredSchema(Schema):
    user_id = fields.String()


class LoginSchema(Schema):
    """``{login, password}`` (login = email or phone), or ``{phone, code}``."""

    class Meta:
        json_schema = {"oneOf": [{"required": ["login", "password"]},
                                 {"required": ["phone", "code"]}]}

    login = fields.String(validate=validate.Length(min=1, max=254))
    password = fields.String(load_only=True, validate=validate.Length(max=128))
    phone = fields.String(validate=PHONE)
    code = fields.String(load_only=True, validate=validate.Regexp(r"^\d{6}$"))

    @validates_schema
    def one_way_in(self, data, **_kwargs):  # type: ignore[no-untyped-def]
        with_password = "login" in data and "password" in data
        with_code = "phone" in data and "code" in data
        if with_password == with_code:
            raise ValidationError("send either login and password, or phone and code", "login")


class CodeRequestSchema(Schema):
    class Meta:
        json_schema = {"oneOf": [
            {"properties": {"channel": {"enum": ["sms"]},
                            "target": {"pattern": PHONE.regex.pattern}}},
            {"properties": {"channel": {"enum": ["email"]}, "target": {"format": "email"}}},
        ]}

    channel = fields.String(required=True, validate=validate.OneOf(("sms", "email")))
    target = fields.String(required=True, validate=validate.Length(min=3, max=254))
    purpose = fields.String(required=True,
                            validate=validate.OneOf(("register", "login", "reset")))

    @validates_schema
    def target_fits_channel(self, data, **_kwargs):  # type: ignore[no-untyped-def]
        if data.get("channel") == "sms":
            PHONE(data.get("target", ""))
        elif data.get("channel") == "email":
            validate.Email()(data.get("target", ""))


class CodeSentSchema(Schema):
    expires_in = fields.Integer()


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=10, max=200))


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class ProfileSchema(Schema):
    id = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    nickname = fields.String()
    role = fields.String()
    created_at = fields.AwareDateTime()


class ProfileChangeSchema(Schema):
    """Only what a user may change about themselves; anything else is refused."""

    nickname = fields.String(validate=validate.Length(min=1, max=40))


class AddressInputSchema(Schema):
    recipient = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(required=True, validate=PHONE)
    province = fields.String(required=True, validate=validate.Length(min=1, max=30))
    city = fields.String(required=True, validate=validate.Length(min=1, max=30))
    district = fields.String(required=True, validate=validate.Length(min=1, max=30))
    detail = fields.String(required=True, validate=validate.Length(min=1, max=200))
    postal_code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$"))
    is_default = fields.Boolean(load_default=False)


class AddressChangeSchema(Schema):
    """A partial change: only the fields sent are changed."""

    recipient = fields.String(validate=validate.Length(min=1, max=50))
    phone = fields.String(validate=PHONE)
    province = fields.String(validate=validate.Length(min=1, max=30))
    city = fields.String(validate=validate.Length(min=1, max=30))
    district = fields.String(validate=validate.Length(min=1, max=30))
    detail = fields.String(validate=validate.Length(min=1, max=200))
    postal_code = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{6}$"))
    is_default = fields.Boolean()


class AddressSchema(AddressInputSchema):
    id = fields.String()
    created_at = fields.AwareDateTime()


class JwksSchema(Schema):
    keys = fields.List(fields.Dict())
