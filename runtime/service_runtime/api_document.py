"""The OpenAPI side of a service API: flask-smorest's Api, answering and documenting
errors as problem+json.

Imported only by an app that documents routes (``create_app`` with blueprints): a
worker's ops endpoints and the gateway need none of flask-smorest, apispec, webargs or
the token verification the access declarations bring, and so never load them.
"""

from __future__ import annotations

import http

from flask import Flask, Response
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from service_runtime.app import ProblemSchema, http_problem
from service_runtime.errors import PROBLEM_JSON
from service_runtime.openapi import (
    ATTRIBUTE_FUNCTIONS,
    BEARER_SCHEME,
    BEARER_SECURITY_SCHEME,
    OperationIdPlugin,
    SchemaRulesPlugin,
)


class ProblemApi(Api):
    """flask-smorest's Api, answering (and documenting) errors as problem+json, with an
    operationId for every operation, the bearer-token security scheme, and the rules
    between fields that schemas declare (see service_runtime.openapi)."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask) -> None:
        super().__init__(app, spec_kwargs={
            "extra_plugins": [OperationIdPlugin(), SchemaRulesPlugin()]})
        self.spec.components.security_scheme(BEARER_SCHEME, BEARER_SECURITY_SCHEME)
        for attribute_function in ATTRIBUTE_FUNCTIONS:
            self.ma_plugin.converter.add_attribute_function(attribute_function)

    def handle_http_exception(self, error: HTTPException) -> Response:
        return http_problem(error)

    def _register_responses(self) -> None:
        """flask-smorest's error responses, as the content type they are really sent in."""
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as a problem document",
                    "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)
