"""A curator merges a synthetic second record of a real source through the admin, as a person would: select
both, run the action, choose a field on the side-by-side page, merge; the old key then leads to the survivor."""

from django.db.models import Count
from playwright.sync_api import expect

from evidence.models import Claim, MergedSource, Source
from evidence.vocabularies import Stance
from tests.test_merging import TWIN_KEY, link, make_twin

from .conftest import screenshot
from .test_curation import log_in


def test_a_curator_merges_two_records_side_by_side(page, site):
    original = Source.objects.annotate(n=Count("evidence")).filter(n__gte=2).order_by("-n", "key").first()
    twin = make_twin(original)
    link(Claim.objects.exclude(evidence__source=original).first(), twin, Stance.MENTIONS)
    links = original.evidence.count() + twin.evidence.count()
    log_in(page, site)

    page.goto(f"{site}/admin/evidence/source/?id__in={original.pk},{twin.pk}")
    page.locator("input.action-select").first.check()
    page.locator("input.action-select").nth(1).check()
    page.get_by_label("Action:").select_option(label="Merge two selected sources")
    page.get_by_role("button", name="Run").click()

    expect(page.get_by_role("heading", name=f"Merge {original.key} and {TWIN_KEY}")).to_be_visible()
    expect(page.locator("#merge-moves")).to_contain_text("Evidence links")
    journal = page.locator("input[name=field_container_title][value=right]")
    journal.check()
    screenshot(page, "admin-merge")
    page.get_by_role("button", name="Merge", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text(f"Merged {TWIN_KEY} into {original.key}")
    assert original.evidence.count() == links
    assert MergedSource.objects.get(key=TWIN_KEY).survivor_id == original.pk
    page.goto(f"{site}/sources/{TWIN_KEY}/")
    assert page.url.endswith(f"/sources/{original.key}/")
    assert page.csp_violations == []
