"""The OpenAPI schema holds: schemathesis generates requests from it (valid and invalid ones)
and sends them to Accord served on loopback, with an integration's key; no answer is a server
error, and every answer (its status, content type, headers and body) matches what the schema
says. Schema-valid requests may still be refused: a cursor is an opaque token, and a lead must
be told apart by an email, a phone or an external id, which no schema can say."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.models import Scope
from api.services import integration_create

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 40


def test_the_api_answers_as_its_schema_says(live_server, cast, handoff_to_rep):
    handoff_to_rep()  # a hand-off and a lead to read back
    _, key = integration_create(name="Conformance", scopes=list(Scope.values), default_source=cast.source)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    schema.config.update(base_url=live_server.url)

    @schema.auth()
    class IntegrationKey:
        # An auth provider rather than a fixed header, so the checks can also send requests
        # without it (and see them refused).
        def get(self, case, context):
            return key

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Api-Key {data}"}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /api/v1/leads/", "GET /api/v1/handoffs/"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def answers_as_documented(case):
            case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])

        answers_as_documented()
