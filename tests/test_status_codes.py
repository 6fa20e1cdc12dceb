"""The status a client is told: 405 with Allow for a method a page does not take, and a login that never
sends a curator to a 404 (or off the site) whatever its ?next= says."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import CURATOR_PASSWORD

pytestmark = pytest.mark.django_db
PUBLIC_PAGES = [
    "/",
    "/sources/",
    "/sources/Kruegel2016/",
    "/sources/Kruegel2016/export.ris",
    "/sources/export.bib",
    "/claims/",
    "/adverse-effects/",
    "/evidence-map/",
    "/articles/kratom-for-chronic-pain/",
    "/articles/kratom-for-chronic-pain/report.csv",
]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("address", PUBLIC_PAGES)
def test_a_method_a_public_page_does_not_take_gets_405_with_allow(address, method):
    # CSRF checks on, as in production: they answered 403 before the method was looked at.
    response = getattr(Client(enforce_csrf_checks=True), method)(address)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_a_write_to_the_admin_still_needs_its_csrf_token(curator_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator_user)
    response = client.post(reverse("admin:evidence_source_add"), {"title": "Synthetic title"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "next_address", ["https://elsewhere.example/", "//elsewhere.example/admin/", "javascript:alert(1)"]
)
def test_a_login_with_an_outside_next_lands_on_the_admin_index(reader, next_address):
    login = reverse("admin:login")
    response = reader.post(
        f"{login}?next={next_address}",
        {"username": "curator", "password": CURATOR_PASSWORD, "next": next_address},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert reader.get(response["Location"]).status_code == 200


def test_a_login_with_a_next_on_the_site_goes_there(reader):
    changelist = reverse("admin:evidence_source_changelist")
    response = reader.post(
        reverse("admin:login"), {"username": "curator", "password": CURATOR_PASSWORD, "next": changelist}
    )
    assert (response.status_code, response["Location"]) == (302, changelist)
