"""The blueprint every service's routes are declared on.

It is flask-smorest's ``Blueprint`` with a webargs parser that reads JSON bodies with
:func:`service_runtime.safe_json.loads`. webargs binds the parser when a route is
decorated, so the app factory refuses blueprints built with another parser rather
than let one route parse bodies with the unguarded ``json.loads``.
"""

from __future__ import annotations

from typing import Any

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from service_runtime import safe_json


class SafeJsonParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        if not data:
            return core.missing  # no body: the schema says whether one is required
        return safe_json.loads(data)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SafeJsonParser()


def uses_safe_parser(blueprint: flask.Blueprint) -> bool:
    """False for a flask-smorest blueprint whose routes would parse with plain webargs."""
    parser = getattr(blueprint, "ARGUMENTS_PARSER", None)
    return parser is None or isinstance(parser, SafeJsonParser)
