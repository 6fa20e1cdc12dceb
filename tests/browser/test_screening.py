"""A curator imports the real PubMed file, screens five records by keyboard alone, and the PRISMA diagram
counts them; readers still see the 76 sources."""

import re

from playwright.sync_api import expect

from evidence.models import ExclusionReason

from .conftest import screenshot
from .test_bibliographies import PUBMED, import_file
from .test_curation import log_in


def keys_ready(page):
    """The page's script listens (a key pressed before it ran would be lost)."""
    expect(page.locator("html[data-screening-keys=ready]")).to_have_count(1)


def test_a_curator_screens_five_records_by_keyboard_and_prisma_counts_them(page, site):
    # Live-server tests start from an emptied database: the reasons a migration made are gone with it.
    ExclusionReason.objects.get_or_create(name="Not about kratom, mitragynine or 7-hydroxymitragynine")
    log_in(page, site)
    import_file(page, site, PUBMED, "50 new, 0 duplicates, 0 conflicts, 0 failed.")
    page.get_by_role("button", name=re.compile("^Import: write")).click()
    expect(page.locator(".messagelist")).to_contain_text("50 new screening candidates written")

    page.goto(f"{site}/admin/evidence/source/")
    page.get_by_role("link", name="Screen candidates").click()
    expect(page.locator("#screening-waiting")).to_contain_text("50 records waiting")
    expect(page.locator("#screening-record")).to_contain_text("Abstract")
    screenshot(page, "screening-record")
    titles = []
    for key in ["i", "m", "i", "x", "i"]:
        titles.append(page.locator("#record-title").inner_text())
        keys_ready(page)
        if key == "x":
            page.keyboard.press("x")  # no reason chosen yet: the key moves to the reasons
            expect(page.locator("#id_reason")).to_be_focused()
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
        else:
            page.keyboard.press(key)
        # The next record's page: wait for it before the next key (a key pressed mid-load is lost).
        expect(page.locator("#record-title")).not_to_have_text(titles[-1])
    expect(page.locator("#screening-waiting")).to_contain_text("45 records waiting")
    assert len(set(titles)) == 5  # one record at a time, each decided once
    expect(page.locator("#undo-form")).to_contain_text("include on")

    # Undo by keyboard brings the last record back.
    keys_ready(page)
    page.keyboard.press("u")
    expect(page.locator(".messagelist")).to_contain_text("Withdrawn")
    expect(page.locator("#record-title")).to_have_text(titles[-1])
    keys_ready(page)
    page.keyboard.press("i")
    expect(page.locator("#screening-waiting")).to_contain_text("45 records waiting")

    page.get_by_role("link", name="PRISMA diagram").first.click()
    figure = page.locator("#prisma-figure svg")
    expect(figure).to_be_visible()
    for box in (
        "Records identified from databases (n = 50)",
        "PubMed (n = 50)",
        "Records screened (n = 5)",
        "Records excluded (n = 1)",
        "Reports sought for retrieval (n = 4)",
        "Total studies included in review (n = 76)",
    ):
        expect(figure).to_contain_text(box)
    screenshot(page, "prisma-diagram")
    with page.expect_download() as download:
        page.locator("#prisma-svg").click()
    assert download.value.suggested_filename == "prisma-flow.svg"
    assert page.csp_violations == []

    page.goto(site)
    expect(page.locator(".counts")).to_contain_text("76")
