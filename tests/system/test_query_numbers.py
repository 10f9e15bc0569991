"""Numbers in a URL's query string that the database cannot compare (a year of 65248 against a smallint
column, twenty digits against a bigint, '²' that str.isdigit() takes and int() refuses) are answered, never a
server error: a 400 saying the range where the API documents one, an empty list or the default elsewhere."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import make_programme

BAD = ["65248", "99999999999999999999", "²", "-1", "2021x"]


@pytest.mark.parametrize("value", BAD)
def test_a_year_or_id_out_of_range_is_answered(client, organiser, bureau, value):
    make_programme(organiser=organiser)
    api = APIClient()
    api.force_authenticate(bureau)
    refused = api.get("/api/reports/summary/", {"year": value})
    assert refused.status_code == 400 and "请提供 2000 到 2100 之间的年度" in refused.json()["year"][0]
    assert api.get("/api/reports/summary/", {"year": "2021"}).status_code == 200
    api.force_authenticate(organiser)
    listed = api.get("/api/programmes/", {"year": value})
    assert listed.status_code == 200 and listed.json()["count"] == 0
    checkins = api.get("/api/checkins/", {"session": value})
    assert checkins.status_code == 200 and checkins.json()["count"] == 0

    client.force_login(bureau)
    page = client.get(reverse("reports:dashboard"), {"year": value})
    assert page.status_code == 200 and page.context["f"].year >= 2000
    assert client.get(reverse("reports:dashboard_export"), {"year": value}).status_code == 200
    assert client.get(reverse("certificates:ledger_export"), {"year": value}).status_code == 200
    client.force_login(organiser)
    assert client.get(reverse("courses:manage_list"), {"year": value}).status_code == 200
