"""What a person sees: the home page, and a curator finding the seed article's claims and a real source."""

import re

from playwright.sync_api import expect

from tests.conftest import CURATOR_PASSWORD

from .conftest import screenshot


def log_in(page, site):
    page.goto(f"{site}/admin/")
    page.get_by_label("Username").fill("curator")
    page.get_by_label("Password").fill(CURATOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sources, claims and evidence")).to_be_visible()


def test_the_home_page_shows_the_counts_and_the_seed_article(page, site):
    page.goto(site)
    expect(page.get_by_role("heading", name="Kratom evidence base", level=1)).to_be_visible()
    expect(page.locator(".counts")).to_contain_text("76")
    expect(page.get_by_role("link", name="Kratom for chronic pain")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"  # our stylesheet applied
    screenshot(page, "home")
    assert page.csp_violations == []


def test_a_curator_sees_the_seed_claims_and_their_evidence(page, site):
    log_in(page, site)
    page.get_by_role("link", name="Claims").first.click()
    expect(page.get_by_text("Kratom (Mitragyna speciosa), a Southeast Asian herb", exact=False).first).to_be_visible()
    screenshot(page, "admin-claims")
    page.get_by_role("link", name="Kratom (Mitragyna speciosa), a Southeast Asian herb", exact=False).first.click()
    # Each evidence row is headed by its source and stance; the autocomplete shows the chosen source.
    expect(page.get_by_role("heading", name=re.compile(r"Kruegel2016 supports “Kratom \(Mitragyna"))).to_be_visible()
    expect(page.locator(".select2-selection__rendered", has_text="Kruegel2016: Synthetic").first).to_be_visible()
    screenshot(page, "admin-claim-with-evidence")
    assert page.csp_violations == []


def test_a_curator_finds_a_real_source_with_its_ordered_authors(page, site):
    log_in(page, site)
    page.goto(f"{site}/admin/evidence/source/?q=Kruegel2016")
    page.get_by_role("link", name="Kruegel2016").click()
    expect(page.get_by_label("Title:")).to_have_value(
        "Synthetic and Receptor Signaling Explorations of the Mitragyna Alkaloids: Mitragynine as an Atypical "
        "Molecular Framework for Opioid Receptor Modulators"
    )
    expect(page.get_by_label("DOI:")).to_have_value("10.1021/jacs.6b00360")
    authors = page.locator("#authorships-group tbody tr.has_original td.field-author")
    expect(authors.first).to_contain_text("Kruegel, Andrew C.")
    expect(authors.nth(3)).to_contain_text("Váradi, András")
    screenshot(page, "admin-source")
    assert page.csp_violations == []
