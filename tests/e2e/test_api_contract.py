"""The gateway's ``/openapi.json`` is the truth: schemathesis checks every public operation
against it, through the real stack, once without a token and once as a customer.

Every built-in check runs on every answer (no 5xx; status codes, content types, headers
and bodies as documented; invalid input refused; protected operations refuse a missing or
bad token; ...), for input valid by the document and for input that breaks it. The run is
bounded and deterministic: a fixed number of examples per operation and mode,
derandomized generation, no shrinking, no example database.
"""

from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure

from e2e_steps import sign_up

# Enough to cover every operation's rules on every CI run within its time budget; a
# deeper hunt: API_CONTRACT_EXAMPLES=50 ./platform test tests/e2e/test_api_contract.py
EXAMPLES_PER_OPERATION = int(os.environ.get("API_CONTRACT_EXAMPLES", "10"))

contract = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # the same cases on every run, so a failure reproduces
    database=None,
    deadline=None,  # response times on a shared 2-core CI box are not the contract
    phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
    # Some inputs are narrow (patterns, oneOf of required fields), so hypothesis filters
    # many candidates; that, and a slow box, must not fail the contract.
    suppress_health_check=list(HealthCheck),
)

CONFIG = {
    # Every service refuses U+0000 in any text at the door (a 400 nul-character problem,
    # as the document's description says): generating it would test that one rule only.
    "generation": {"allow-x00": False},
    "checks": {
        # A valid request may still break a rule of the domain that no schema can hold (a
        # wrong verification code, an unknown SKU, an empty cart, a stale cursor): a 422
        # problem. A 422 naming fields the *schema* refused is the document lying, which
        # fields_refused_by_the_schema below fails on.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429",
                                  "5xx"]},
        # Invalid input may also be too big to read at all: the body (413), the request
        # line (414) or the headers (431), each a problem too.
        "negative_data_rejection": {
            "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413",
                                  "414", "415", "422", "428", "429", "431", "5xx"]},
    },
}


# Field rules no JSON Schema can state, so a schema-valid request may break them: a cursor
# is opaque (the document gives its shape; only the server can decode it), and one field
# compared with another.
OPAQUE_FIELDS = {"cursor"}
CROSS_FIELD_RULES = {("GET /api/v1/products", "price_min")}  # price_min <= price_max
# And rules OpenAPI 3.0's schemas cannot state, by the field's last part: a tracked
# event's time against the clock (at most 7 days old, 10 minutes ahead), its properties'
# name lengths (no propertyNames before 3.1) and their size as JSON (analytics refuses a
# batch whose every event breaks one of them).
UNSTATABLE_RULES = {("POST /api/v1/track", "occurred_at"), ("POST /api/v1/track", "props")}


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value) -> bytes:  # type: ignore[no-untyped-def]
    """An NDJSON body (a tag file): the document describes it as the array of its lines,
    one JSON document a line (a value that is no array is one line)."""
    lines = value if isinstance(value, list) else [value]
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


class SchemaLooserThanServer(Failure):
    """A request valid by the document, refused field by field by the server's schema."""


def fields_refused_by_the_schema(ctx, response, case) -> bool | None:
    if not (case.meta and case.meta.generation.mode.is_positive and response.status_code == 422):
        return None
    try:
        problem = response.json()
    except ValueError:
        return None
    errors = problem.get("errors") if isinstance(problem, dict) else None
    refused = [error for error in errors or [] if error.get("field") not in OPAQUE_FIELDS
               and (case.operation.label, error.get("field")) not in CROSS_FIELD_RULES
               and (case.operation.label, str(error.get("field")).rsplit(".", 1)[-1])
               not in UNSTATABLE_RULES]
    if refused:
        raise SchemaLooserThanServer(
            operation=case.operation.label, title="Schema-valid field refused",
            message=f"The document accepts what the server's schema refuses: {refused}")
    return None


def contract_failures(stack, token: str | None) -> list[str]:
    """Every operation, positive and negative cases: what broke the document."""
    config = dict(CONFIG)
    if token is not None:  # schemathesis sends it, and leaves it out to test refusals
        config["auth"] = {"openapi": {"bearerAuth": {"bearer": token}}}
    schema = schemathesis.openapi.from_url(stack.url("/openapi.json"),
                                           config=SchemathesisConfig.from_dict(config))
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @contract
            @given(case=operation.as_strategy(mode))
            def keeps_the_contract(case) -> None:
                case.call_and_validate(additional_checks=[fields_refused_by_the_schema])

            try:
                keeps_the_contract()
            except Unsatisfiable:
                pass  # nothing to break in this mode (no parameters, no body)
            except (Exception, BaseExceptionGroup) as failure:  # names the checks and case
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    return failures


def test_every_operation_keeps_its_contract_without_a_token(stack):
    failures = contract_failures(stack, None)
    assert not failures, "\n\n".join(failures)


def test_every_operation_keeps_its_contract_for_a_customer(stack):
    token = sign_up(stack, "contract")["Authorization"].removeprefix("Bearer ")
    failures = contract_failures(stack, token)
    assert not failures, "\n\n".join(failures)
