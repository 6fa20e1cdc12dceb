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
    # The status is read as a word, not only as a colour; the certainty is in view, folded.
    block = page.locator(".article-text .stmt-block", has_text=CONTRADICTED)
    statement = block.get_by_role("button")
    expect(statement).to_contain_text("28 ✖ contradicted")
    expect(statement.locator(".badge")).to_have_text("✖ contradicted")
    expect(block).to_contain_text("certainty very low")
    expect(page.locator(".article-text .stmt")).to_have_count(37)
    expect(page.locator(".article-text .badge--not_checkable")).to_have_count(15)
    expect(page.locator("table.evidence")).to_have_count(0)  # no evidence is loaded until it is asked for
    screenshot(page, "article-review")

    # Opened with the keyboard, the statement's reasons and evidence are fetched into place.
    expect(statement).to_have_attribute("aria-expanded", "false")
    statement.focus()
    page.keyboard.press("Enter")
    expect(statement).to_have_attribute("aria-expanded", "true")
    evidence = block.locator("table.evidence")
    expect(block).to_contain_text("Contradicting evidence and no support.")
    expect(evidence).to_contain_text("Smith2022JAM")
    expect(evidence).to_contain_text("contradicts")
    expect(block.locator(".domains")).to_contain_text("Imprecision: serious")
    expect(statement).to_be_focused()  # the focus stays on the button that opened it
    screenshot(page, "article-review-evidence")
    # Space closes it again, as a button does.
    page.keyboard.press("Space")
    expect(statement).to_have_attribute("aria-expanded", "false")
    expect(evidence).to_be_hidden()
    page.keyboard.press("Space")
    expect(evidence).to_be_visible()

    evidence.get_by_role("link", name="Smith2022JAM").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Smith2022JAM")
    screenshot(page, "source-detail")
    assert page.csp_violations == []


def test_the_flagged_list_gives_a_verdict_worst_first_and_opens_what_it_links_to(page, site):
    page.goto(site + REVIEW)
    flagged = page.locator("ol.flagged > li")
    expect(flagged).to_have_count(13)
    # Grouped by status, worst first: the one contradicted statement, then the weak ones.
    groups = page.locator("#flagged-heading ~ h3 .badge")
    expect(groups).to_have_text(["✖ contradicted", "◐ weak"])
    first = flagged.first
    expect(first).to_contain_text("Contradicting evidence and no support. Certainty very low")
    # Following the link opens the statement's evidence and puts the focus on it.
    first.get_by_role("link", name="Statement 28").click()
    expect(page).to_have_url(re.compile(r"#claim-\d+$"))
    target = page.locator(".stmt-block:target")
    expect(target.get_by_role("button")).to_have_attribute("aria-expanded", "true")
    expect(target.get_by_role("button")).to_be_focused()
    expect(target.locator("table.evidence")).to_be_visible()


def test_without_javascript_a_statement_links_to_its_evidence_page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(site + REVIEW)
        block = page.locator(".article-text .stmt-block", has_text=CONTRADICTED)
        block.get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"/claims/\d+/evidence/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Statement 28: reasons and evidence")
        expect(page.locator("table.evidence")).to_contain_text("Smith2022JAM")
        screenshot(page, "statement-evidence-no-javascript")
        page.get_by_role("link", name="Back to the review of Kratom for chronic pain").click()
        expect(page).to_have_url(re.compile(r"/articles/kratom-for-chronic-pain/#claim-\d+$"))
    finally:
        context.close()


LAPTOP_HEIGHT_BEFORE = 23_452  # px, the review page at 1280 × 900 before the rework (measured 1 Dec 2026)


def test_the_review_page_is_a_third_of_its_old_height_on_a_laptop(page, site):
    page.goto(site + REVIEW)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= LAPTOP_HEIGHT_BEFORE / 3, height


def test_the_review_page_prints_statuses_and_the_evidence_opened(page, site):
    page.goto(site + REVIEW)
    block = page.locator(".stmt-block", has_text=CONTRADICTED)
    block.get_by_role("button").click()
    expect(block.locator("table.evidence")).to_be_visible()
    page.emulate_media(media="print")
    expect(block.locator("table.evidence")).to_be_visible()
    expect(block).to_contain_text("certainty very low")
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
    statements = page.locator(".article-text .stmt-block")
    expect(statements).to_have_count(2)
    expect(statements.first.get_by_role("button")).to_contain_text("? unsupported")
    expect(statements.first).to_contain_text("Many users report better sleep, e.g. after a 2.5 g dose.")
    # Unsupported: whether sources wait for a curator, or none exist in the base.
    expect(statements.first).to_contain_text(re.compile(r"Not yet reviewed: \d+ candidate sources?|No evidence found"))
    expect(page.locator(".article-text")).to_contain_text("Kratom and Sleep")  # the heading stays plain text
    screenshot(page, "new-article-review")
    assert page.csp_violations == []
