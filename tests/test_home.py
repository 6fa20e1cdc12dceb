"""The home page a new user lands on after `make run`."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_shows_what_the_database_holds(reader, django_assert_max_num_queries):
    # session-free page: 3 counts + compounds with source counts + articles with claim counts
    with django_assert_max_num_queries(5):
        response = reader.get(reverse("evidence:home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<dd>76</dd>" in page and "<dd>37</dd>" in page and "<dd>136</dd>" in page
    assert "7-Hydroxymitragynine" in page
    assert '<a href="/articles/kratom-for-chronic-pain/">Kratom for chronic pain</a>: 37 statements, 22 checkworthy.' in page


def test_pages_send_a_content_security_policy_without_unsafe_inline(reader):
    response = reader.get(reverse("evidence:home"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"


def test_css_is_served_by_the_project(reader):
    page = reader.get(reverse("evidence:home")).content.decode()
    assert 'href="/static/evidence/site.css"' in page
    assert "http://" not in page.split("<body")[0] and "https://" not in page.split("<body")[0]
