"""Control characters in a request's path or query are refused with a 400 before any view or query runs
(PostgreSQL cannot hold a NUL: without the check these were 500s there)."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
AUTOCOMPLETE = {"app_label": "evidence", "model_name": "evidence", "field_name": "source"}

PUBLIC_ADDRESSES = [
    "/sources/Kruegel2016%00/",
    "/sources/Kruegel2016%00/export.ris",
    "/articles/kratom-for-chronic-pain%00/",
    "/sources/?q=kratom%00",
    "/sources/?design=%00",
    "/sources/?adverse_effect=%00",
    "/claims/?status=%1b[31m",
    "/sources/?year_from=2000%00",
    "/sources/?%00=1",
    "/sources/export.bib?q=%7f",
]


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_a_control_character_in_a_public_address_is_refused_with_a_400(address):
    response = Client(raise_request_exception=False).get(address)
    assert response.status_code == 400
    assert "control character" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"study_design__exact": "\x00"},
        {"curation_status__exact": "\x00"},
        {"q": "Kruegel\x00"},
        {"compounds__id__exact": "\x00"},
    ],
)
def test_a_control_character_in_an_admin_filter_or_search_is_refused(curator_user, query):
    client = Client(raise_request_exception=False)
    client.force_login(curator_user)
    response = client.get(reverse("admin:evidence_source_changelist"), query)
    assert response.status_code == 400


def test_a_control_character_in_the_admin_autocomplete_term_is_refused(curator_user):
    client = Client(raise_request_exception=False)
    client.force_login(curator_user)
    response = client.get(reverse("admin:autocomplete"), {**AUTOCOMPLETE, "term": "\x00"})
    assert response.status_code == 400


def test_a_control_character_in_the_admin_path_is_refused(curator_user):
    client = Client(raise_request_exception=False)
    client.force_login(curator_user)
    response = client.get(reverse("admin:evidence_source_changelist") + "%00/change/")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["q=abuse%09liability", "q=abuse%0Aliability", "q=k%C3%A4fer"])
def test_tabs_line_breaks_and_letters_beyond_ascii_in_a_query_are_accepted(reader, query):
    assert reader.get(f"/sources/?{query}").status_code == 200


def test_a_clean_address_is_served_as_before(reader, curator):
    assert reader.get("/sources/Kruegel2016/").status_code == 200
    response = curator.get(reverse("admin:autocomplete"), {**AUTOCOMPLETE, "term": "Kruegel"})
    assert response.status_code == 200 and response.json()["results"]


def test_a_control_character_sent_to_the_api_gets_a_problem_document(reader):
    response = reader.get("/api/v1/adverse-effect-reports/?cursor=%21L%C3%B4%14")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/api/v1/problems/malformed-request" and "U+0014" in problem["detail"]
