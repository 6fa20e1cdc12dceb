"""A researcher finds what the literature says on 7-hydroxymitragynine's abuse liability, from the home page."""

import re

from playwright.sync_api import expect

from .conftest import screenshot


def results_heading(page):
    return page.locator("#results-heading")


def test_from_the_home_page_to_a_source_a_statement_and_the_adverse_effects_chart(page, site):
    page.goto(site + "/")
    expect(page.get_by_role("heading", name="Kratom evidence base", level=1)).to_be_visible()
    screenshot(page, "home-search")

    # Find every source on abuse liability, then those on 7-hydroxymitragynine.
    page.get_by_label("Search the sources").fill("abuse")
    page.get_by_label("Search the sources").press("Enter")
    expect(results_heading(page)).to_have_text("8 sources")
    facets = page.get_by_role("complementary")
    facets.get_by_role("link", name=re.compile(r"^7-Hydroxymitragynine 2$")).click()
    expect(results_heading(page)).to_have_text("2 sources")
    expect(page.get_by_role("link", name="Remove filter Compound: 7-Hydroxymitragynine")).to_be_visible()
    screenshot(page, "sources-7-oh-abuse")

    # Narrow to studies since 2015: the facets then show which populations remain.
    page.get_by_label("From year").fill("2015")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"year_from=2015"))
    expect(page).to_have_url(re.compile(r"compound=7-hydroxymitragynine"))  # the facet survived the new search
    expect(results_heading(page)).to_have_text("2 sources")
    population = page.locator("section.facet", has=page.get_by_role("heading", name="Population"))
    expect(population.locator("a")).to_have_text([re.compile(r"animals\s*1"), re.compile(r"none\s*1")])

    # A bookmarked search for human studies: none in the database, and the page says so plainly.
    page.goto(page.url + "&population=humans")
    expect(results_heading(page)).to_have_text("0 sources")
    expect(page.locator(".empty")).to_contain_text("No source matches “abuse” with these filters.")
    expect(population.get_by_role("link", name=re.compile("humans"))).to_contain_text("0")
    screenshot(page, "sources-humans-since-2015-empty")
    page.get_by_role("link", name="Remove filter Population: humans").click()
    expect(results_heading(page)).to_have_text("2 sources")

    # Open the animal study and see which article statements it bears on.
    page.get_by_role("link", name=re.compile("^Abuse liability and therapeutic potential")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Abuse liability and therapeutic potential")
    statements = page.locator("table.evidence").first
    expect(statements.locator("tbody tr")).to_have_count(2)
    expect(statements).to_contain_text("partially supports")
    expect(page.get_by_role("heading", name=re.compile("Adverse effects it reports"))).to_be_visible()
    screenshot(page, "source-hemby2018")

    # Follow a statement to its page: status, reasons, evidence and its place in the article.
    statements.locator("tbody tr").first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/claims/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("^Status:"))).to_contain_text("weak")
    expect(page.locator("table.evidence")).not_to_have_count(0)
    expect(page.locator("table.evidence").filter(has_text="Hemby2018")).to_have_count(1)
    expect(page.locator(".excerpt mark")).to_be_visible()
    screenshot(page, "claim")

    # The adverse-effects chart, and a cell that opens exactly its sources.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Adverse effects").click()
    chart = page.get_by_role(
        "img", name="Sources reporting adverse effects (human reports), by organ class and compound"
    )
    expect(chart).to_be_visible()
    expect(chart.locator("rect.chart__bar")).not_to_have_count(0)
    expect(chart).to_contain_text("Number of sources reporting")
    screenshot(page, "adverse-effects")
    # Rat self-administration is animal toxicity: not among the human reports, but one toggle away.
    page.get_by_role("link", name="Animal and in vitro toxicity (4)").click()
    expect(page.get_by_role("heading", name="Animal and in vitro toxicity")).to_be_visible()
    row = page.locator("table.harms tbody tr", has_text="Psychiatric disorders")
    row.locator("td").first.get_by_role("link").click()
    expect(results_heading(page)).to_have_text("1 source")
    expect(page.get_by_role("link", name=re.compile("^Abuse liability and therapeutic potential"))).to_be_visible()
    assert page.csp_violations == []


def test_the_statements_and_the_evidence_map_filter_without_javascript(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/claims/")
    expect(results_heading(page)).to_have_text("37 statements")
    page.get_by_role("group", name="Status").get_by_label("contradicted").check()
    page.get_by_role("button", name="Apply").click()
    expect(results_heading(page)).to_have_text("1 statement")
    expect(page.locator("table.claims tbody tr")).to_contain_text("Remember that consistency is key")
    screenshot(page, "claims-contradicted")

    page.goto(site + "/evidence-map/")
    expect(page.locator("th.evidence-map__statement")).to_have_count(22)
    page.get_by_role("group", name="Category").get_by_label("dosage").check()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"category=dosage"))
    columns = page.locator("th.evidence-map__statement")
    assert 0 < columns.count() < 22
    screenshot(page, "evidence-map-dosage")
    page.goto(site + "/evidence-map/")
    screenshot(page, "evidence-map")
    context.close()


def test_an_unknown_source_shows_the_404_page(page, site):
    response = page.goto(site + "/sources/NoSuchKey1999/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.get_by_role("link", name="Search the sources").click()
    expect(page).to_have_url(re.compile(r"/sources/$"))
