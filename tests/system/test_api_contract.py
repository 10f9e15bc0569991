"""The API fuzzed against its own OpenAPI schema, as every role and anonymously (schemathesis).

Every check of schemathesis (`--checks all`): no 5xx, every response conforms to what the schema documents, and
schema-conforming data is accepted except where BUSINESS_RULES says why not. Bounded examples so
the suite stays fast; `.ci/run` runs it on SQLite and PostgreSQL.
"""

import datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from certificates.services import completion_rule_set
from courses.services import enrolment_create
from exams.services import quiz_create
from tests.exams.conftest import make_bank
from tests.factories import make_bureau, make_organiser, make_programme, make_teacher, make_unit

# Every check runs, positive_data_acceptance included. A request that conforms to the schema may still break a
# rule no OpenAPI schema can state; for these operations, and only these, a 400 with the documented error body
# (its shape is checked by response_schema_conformance) is the right answer to such data. That each of them
# accepts valid data is asserted where the data can be made valid: the apps' API tests (a token for a real
# password, a check-in by the session's current token and code, a teacher with a valid ID, and so on).
BUSINESS_RULES = {
    "/api/auth/token/": "the username and password must belong to an account (DRF answers 400 to wrong ones)",
    "/api/checkins/code/": "the 6 digits must be the session's code of the current time step",
    "/api/checkins/scan/": "the token is signed by the server and valid for one time step",
    "/api/enrolments/": "the programme must exist and not have ended; the ID's check digit must hold",
    "/api/programmes/": "the unit must be the caller's; the end may not precede the start; codes are unique",
    "/api/sessions/": "the programme must exist; the session must end after it starts, within the programme's dates",
    "/api/teachers/": "the ID's check digit and date of birth must hold; mobiles are unique",
}
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path": path,
                "include-method": "POST",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
                    }
                },
            }
            for path in BUSINESS_RULES
        ]
    }
)


@pytest.fixture
def api_schema(db):
    # The real WSGI handler closes "old" connections at each request's start and end; inside the
    # test's transaction that would close the test's own connection (Django's test client turns
    # this off the same way).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def role_tokens(db):
    make_bank(per_kind=3)
    organiser = make_organiser(make_unit())
    today = timezone.localdate()
    programme = make_programme(organiser=organiser, start_date=today, end_date=today + datetime.timedelta(days=1))
    completion_rule_set(actor=None, programme=programme)
    now = timezone.now()
    quiz_create(actor=organiser, programme=programme, title="测试", single_count=1, multiple_count=1, truefalse_count=1,
                opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1))  # fmt: skip
    teacher = make_teacher()
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    users = [teacher, make_teacher(), organiser, make_organiser(make_unit("许昌市教育局政策法规科")), make_bureau()]
    return [None] + [Token.objects.create(user=user).key for user in users]


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema_for_every_role(case, role_tokens):
    # We sign in with our own tokens; a session cookie the generator made up would only make
    # schemathesis's ignored_auth check take our valid token for "generated" credentials.
    if case.cookies:
        case.cookies.pop("sessionid", None)
    for token in role_tokens:
        headers = {"Authorization": f"Token {token}"} if token else {}
        response = case.call(headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
        )
        case.validate_response(response, headers=headers)


def test_every_paginated_list_documents_and_answers_404_past_its_last_page(role_tokens):
    """Issue 14, item 7: ?page= past the end answered a 404 the schema did not document."""
    from rest_framework.test import APIClient

    from tests.api_coverage import documented

    lists = [path for (method, path), codes in documented().items() if method == "GET" and "{" not in path]
    paginated = []
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {role_tokens[3]}")  # the organiser
    for path in lists:
        first = client.get(path)
        if first.status_code != 200 or "count" not in (first.json() if isinstance(first.json(), dict) else {}):
            continue
        paginated.append(path)
        past = client.get(path, {"page": 999})
        assert past.status_code == 404 and "detail" in past.json(), path
        assert 404 in documented()[("GET", path)], path
    assert {"/api/attempts/", "/api/programmes/", "/api/teachers/"} <= set(paginated)


def test_attempts_always_carry_review_score_and_passed(role_tokens):
    """Issue 14, item 7: /api/attempts/ left out review, score and passed, which the schema requires."""
    from rest_framework.test import APIClient

    from exams.models import Quiz

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {role_tokens[1]}")  # the enrolled teacher
    started = client.post(f"/api/quizzes/{Quiz.objects.get().pk}/start/")
    assert started.status_code == 201, started.json()
    listed = client.get("/api/attempts/").json()["results"]
    assert listed and all({"review", "score", "passed"} <= set(item) for item in listed)
    assert (listed[0]["score"], listed[0]["passed"], listed[0]["review"]) == (None, None, None)
    detail = client.get(f"/api/attempts/{listed[0]['id']}/").json()
    assert {"review", "score", "passed"} <= set(detail)
