"""The API's OpenAPI 3.1 description is kept true: it names every /api route, and real replies match it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from sqlmodel import Session
from werkzeug.test import EnvironBuilder

from routing.vocabulary import OUTCOMES, SERVICE_OUTCOMES, STATUSES
from staff.api import openapi_document
from tests.callback_support import add_contact, add_school
from tests.conftest import IN_HOURS
from tests.staff.test_contacts_api import event, make_token


def test_the_document_is_valid_openapi_3_1_and_served_without_a_token(app):
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"] == "3.1.0"
    validate(response.get_json())


def test_the_document_names_exactly_the_api_routes_and_the_vocabulary(app):
    documented = {(path, method.upper()) for path, item in openapi_document()["paths"].items() for method in item}
    served = {(rule.rule.replace("<reference>", "{reference}"), method) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and rule.rule != "/api/openapi.json"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served
    schemas = openapi_document()["components"]["schemas"]
    assert tuple(schemas["Event"]["properties"]["status"]["enum"]) == STATUSES
    assert schemas["Event"]["properties"]["outcome"]["enum"] == [*dict.fromkeys(OUTCOMES + SERVICE_OUTCOMES), None]


@pytest.fixture
def spec() -> OpenAPI:
    return OpenAPI.from_dict(openapi_document())


def test_real_replies_of_every_route_match_the_document(app, engine, spec):
    with Session(engine) as session:
        add_school(session)
        contact = add_contact(session, IN_HOURS - timedelta(hours=2))
    client = app.test_client()
    lcs = {"Authorization": f"Bearer {make_token(app, 'lcs', 'contacts:write')}"}
    bi = {"Authorization": f"Bearer {make_token(app, 'bi')}"}
    url = f"/api/contacts/{contact.reference}/events"

    def checked(method: str, path: str, **request) -> int:
        """The reply's status, once openapi-core has found it matches the document (it raises otherwise)."""
        response = client.open(path, method=method, **request)
        # A request of its own for the check: the app has read the one it was sent.
        asked = EnvironBuilder(path=path, method=method, **request).get_request()
        spec.validate_response(WerkzeugOpenAPIRequest(asked), WerkzeugOpenAPIResponse(response))
        return response.status_code

    codes = [
        checked("GET", "/api/stats", headers=bi), checked("GET", "/api/stats?from=2026-13-01", headers=bi),
        checked("GET", "/api/stats"), checked("GET", "/api/stats", headers=lcs),
        checked("GET", "/api/contacts?limit=5", headers=lcs), checked("GET", "/api/contacts?limit=0", headers=lcs),
        checked("POST", url, json=event(outcome="made_up"), headers=lcs),
        checked("POST", url, json=event(), headers=lcs), checked("POST", url, json=event(), headers=lcs),
        checked("POST", url, json=event(event_id="LCS-2"), headers=lcs),
        checked("POST", "/api/contacts/999999/events", json=event(event_id="LCS-9"), headers=lcs),
        checked("POST", url, json=event(actor="x" * 20_000), headers=lcs),
        checked("POST", url, json=event(), headers=bi),
    ]
    assert codes == [200, 400, 401, 403, 200, 400, 422, 201, 200, 409, 404, 413, 403]
