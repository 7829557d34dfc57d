"""Every operation of the OpenAPI document, called with data the document says is valid (schemathesis, positive
mode) by an admin's token: no server error, and each answer's status, content type and body are the documented
ones. One test over all operations with a bounded number of examples each (reproducible: derandomised).

The per-role authorisation run (who may call what) is a separate test; this one checks the document is right."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tongpin.core.models import ApiToken

EXAMPLES = 4  # per operation: enough to reach every field's type, few enough to run in the suite
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
SKIPPED = {"/api/v1/openapi.json"}  # the document itself


@pytest.fixture
def admin_token(users) -> str:
    return ApiToken.issue(users["admin"], "conformance")[1]


def test_every_operation_answers_as_documented_to_valid_data(
    users, admin_token, allow_loopback, wsgi_keeps_connection
):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures, tried, answered = [], 0, set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED:
            continue
        tried += 1

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def call(case):
            response = case.call(base_url="http://testserver", headers=headers)
            if response.status_code < 300:
                answered.add((case.operation.method, case.operation.path))
            case.validate_response(response, checks=CHECKS)

        try:
            call()
        except (AssertionError, FailureGroup) as error:  # collected: one run names every failing operation
            found = getattr(error, "exceptions", None) or [error]
            failures.append(f"{operation.method.upper()} {operation.path}: " + " | ".join(str(e)[:400] for e in found))
    assert tried > 150
    # Made-up ids answer 404 (documented), so only the operations needing no existing object reach a 2xx; were the
    # token refused, none would.
    assert len(answered) >= 40, sorted(answered)
    assert failures == [], "\n\n".join(failures)
