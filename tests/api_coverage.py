"""Every status code the API documents must be answered somewhere in the suite.

The test settings add ApiStatusRecorder, which notes (method, path, status) of every /api/ response
the suite causes — API tests, the schemathesis run, the access matrix. At the end of a full run
(`make test` sets API_COVERAGE=1), tests/conftest.py compares the notes with the schema: a documented
code nobody ever received is a failure, listed by operation.
"""

import re

OBSERVED: set[tuple[str, str, int]] = set()


class ApiStatusRecorder:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            OBSERVED.add((request.method, request.path, response.status_code))
        return response


def documented() -> dict[tuple[str, str], set[int]]:
    """{(METHOD, path template): documented status codes} from the live schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path): {int(code) for code in operation["responses"]}
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def _matcher(template: str):
    pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
    literal = len(re.sub(r"\{[^}]+\}", "", template))  # prefer /certificates/credit-hours/ to /certificates/{id}/
    return re.compile(pattern), literal


def missing() -> list[str]:
    """Documented (operation, code) pairs that no response of this run had."""
    operations = documented()
    matchers = {key: _matcher(key[1]) for key in operations}
    seen: dict[tuple[str, str], set[int]] = {key: set() for key in operations}
    for method, path, code in OBSERVED:
        candidates = [
            (matchers[key][1], key) for key in operations if key[0] == method and matchers[key][0].match(path)
        ]
        if candidates:
            seen[max(candidates)[1]].add(code)
    return [
        f"{method} {template}: {code}"
        for (method, template), codes in sorted(operations.items())
        for code in sorted(codes - seen[(method, template)])
    ]
