"""A reader opens the seed article's review page and reads what each statement stands on."""

import re

from playwright.sync_api import expect

from .conftest import screenshot

REVIEW = "/articles/kratom-for-chronic-pain/"
CONTRADICTED = "Remember that consistency is key; taking kratom regularly at set times can help build tolerance"


def test_the_review_page_shows_each_statement_with_its_status(page, site):
    page.goto(site + REVIEW)
    expect(page.get_by_role("heading", name="Kratom for chronic pain", level=1)).to_be_visible()
    summary = page.locator(".summary")
    expect(summary).to_contain_text("Statements37")
    expect(summary).to_contain_text("Checkworthy22")
    # The status is read as a word, not only as a colour.
    statement = page.locator(".article-text .stmt-block > summary", has_text=CONTRADICTED)
    expect(statement).to_contain_text("28 ✖ contradicted")
    expect(statement.locator(".badge")).to_have_text("✖ contradicted")
    expect(page.locator(".article-text .stmt")).to_have_count(37)
    expect(page.locator(".article-text .badge--not_checkable")).to_have_count(15)
    screenshot(page, "article-review")

    # Its evidence is folded; opening it (the keyboard works too: the summary line is a button) shows it.
    block = page.locator("details.stmt-block", has_text=CONTRADICTED)
    evidence = block.locator("table.evidence")
    expect(evidence).to_be_hidden()
    block.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(block).to_contain_text("Contradicting evidence and no support.")
    expect(evidence).to_contain_text("Smith2022JAM")
    expect(evidence).to_contain_text("contradicts")
    expect(block.locator(".domains")).to_contain_text("Imprecision: serious")
    screenshot(page, "article-review-evidence")

    evidence.get_by_role("link", name="Smith2022JAM").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Smith2022JAM")
    screenshot(page, "source-detail")
    assert page.csp_violations == []


def test_the_flagged_list_gives_a_verdict_worst_first_and_opens_what_it_links_to(page, site):
    page.goto(site + REVIEW)
    flagged = page.locator("ol.flagged > li")
    expect(flagged).to_have_count(13)
    first = flagged.first
    expect(first.locator(".badge")).to_have_text("✖ contradicted")
    expect(first.locator(".reason")).to_contain_text("Contradicting evidence and no support. Certainty very low")
    expect(flagged.nth(1).locator(".badge")).to_have_text("◐ weak")
    # Following the link opens the statement's folded evidence.
    first.get_by_role("link", name="Statement 28").click()
    expect(page).to_have_url(re.compile(r"#claim-\d+$"))
    target = page.locator("details.stmt-block:target")
    expect(target).to_have_attribute("open", "")
    expect(target.locator("table.evidence")).to_be_visible()


LAPTOP_HEIGHT_BEFORE = 23_452  # px, the review page at 1280 × 900 before the rework (measured 1 Dec 2026)


def test_the_review_page_is_a_third_of_its_old_height_on_a_laptop(page, site):
    page.goto(site + REVIEW)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= LAPTOP_HEIGHT_BEFORE / 3, height


def test_the_review_page_prints_every_statement_unfolded(page, site):
    page.goto(site + REVIEW)
    page.emulate_media(media="print")
    expect(page.locator("details.stmt-block", has_text=CONTRADICTED).locator("table.evidence")).to_be_visible()
    expect(page.locator(".site-header")).to_be_hidden()
    page.emulate_media(media="screen")


def test_a_curator_pastes_a_new_article_and_sees_it_flagged(page, site):
    from .test_curation import log_in

    log_in(page, site)
    page.goto(f"{site}/admin/evidence/article/add/")
    page.get_by_label("Title:").fill("Kratom and sleep")
    page.get_by_label("Text:").fill(
        "Kratom and Sleep\nMany users report better sleep, e.g. after a 2.5 g dose. Dr. Lee disagrees.\n"
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("2 statements found and added as claims")).to_be_visible()
    page.goto(f"{site}/articles/kratom-and-sleep/")
    statements = page.locator(".article-text .stmt-block > summary")
    expect(statements).to_have_count(2)
    expect(statements.first).to_contain_text("? unsupported")
    expect(statements.first).to_contain_text("Many users report better sleep, e.g. after a 2.5 g dose.")
    expect(page.locator(".article-text")).to_contain_text("Kratom and Sleep")  # the heading stays plain text
    screenshot(page, "new-article-review")
    assert page.csp_violations == []
