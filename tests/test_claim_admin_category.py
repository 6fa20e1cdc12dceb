"""Admin friction (issue 16): a new claim's category is chosen by the curator, never a silent "other"."""

import re

import pytest
from django.urls import reverse

from evidence.models import Claim

pytestmark = pytest.mark.django_db


def test_a_new_claims_category_must_be_chosen(curator, curator_user):
    from django.contrib.admin import site
    from django.test import RequestFactory

    html = curator.get(reverse("admin:evidence_claim_add")).content.decode()
    assert re.search(r'<select name="category"[^>]*>\s*<option value="" selected>', html)
    request = RequestFactory().get("/")
    request.user = curator_user
    form = site._registry[Claim].get_form(request)(data={"text": "A synthetic statement.", "checkworthy": "on"})
    assert not form.is_valid() and "category" in form.errors
