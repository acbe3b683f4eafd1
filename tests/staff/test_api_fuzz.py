"""A property-based fuzz of the API from its OpenAPI description (schemathesis, in-process): no input makes a 500,
and every reply has a documented status, content type and shape."""
from __future__ import annotations

from datetime import timedelta

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from sqlmodel import Session

from tests.callback_support import add_contact, add_school
from tests.conftest import IN_HOURS
from tests.staff.test_contacts_api import make_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_no_request_makes_the_api_fail_or_answer_off_the_document(app, engine):
    with Session(engine) as session:
        add_school(session)
        add_contact(session, IN_HOURS - timedelta(hours=2))
    headers = {"Authorization": f"Bearer {make_token(app, 'fuzz', 'contacts:write', 'stats:read')}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 3

    for operation in operations:
        # Hypothesis's own loop, per operation: schemathesis's pytest plugin does not run under this pytest.
        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def answers_by_the_document(case):
            case.validate_response(case.call(headers=headers), checks=CHECKS)

        answers_by_the_document()
