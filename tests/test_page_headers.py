"""What every page sends: a strict content security policy and the project's own CSS (home as the example)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_send_a_content_security_policy_without_unsafe_inline(reader):
    response = reader.get(reverse("evidence:home"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"


def test_css_is_served_by_the_project(reader):
    page = reader.get(reverse("evidence:home")).content.decode()
    assert 'href="/static/evidence/site.css"' in page
    assert "http://" not in page.split("<body")[0] and "https://" not in page.split("<body")[0]
