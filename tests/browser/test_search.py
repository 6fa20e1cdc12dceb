"""A reader's words find the literature's: a lay word, a misspelling and a too-narrow search, without JavaScript."""

import re

from playwright.sync_api import expect

from .conftest import screenshot


def search_for(page, site, words):
    page.goto(site + "/sources/")
    page.get_by_label("Search titles, abstracts, authors and keywords").fill(words)
    page.get_by_role("button", name="Search", exact=True).click()


def test_a_lay_word_finds_the_pharmacologists_term_highlighted(page, site):
    search_for(page, site, "painkiller")
    expect(page.locator("#results-heading")).to_have_text(re.compile(r"^\d+ sources$"))
    first = page.locator("ol.results li.result").first
    expect(first.locator("mark").first).to_be_visible()
    expect(page.locator("ol.results")).to_contain_text("Antinociceptive effect of 7-hydroxymitragynine in mice")
    expect(
        page.locator("mark", has_text=re.compile("^(analgesic|Analgesic|antinociceptive|Antinociceptive)$")).first
    ).to_be_visible()
    screenshot(page, "search-synonym-painkiller")


def test_a_misspelling_is_corrected_and_the_reader_can_search_as_typed(page, site):
    search_for(page, site, "siezures")
    status = page.get_by_role("status")
    expect(status).to_contain_text("Showing results for seizures; search instead for siezures.")
    expect(page.get_by_label("Search titles, abstracts, authors and keywords")).to_have_value("seizures")
    expect(page.locator("ol.results")).to_contain_text("Recurrent seizures from chronic kratom use")
    screenshot(page, "search-typo-corrected")
    status.get_by_role("link", name="siezures").click()
    expect(page.locator(".empty")).to_contain_text("No source matches “siezures”")


def test_when_every_word_finds_nothing_the_sources_matching_some_follow_under_a_line(page, site):
    search_for(page, site, "seizures in teenagers")
    expect(page.locator("#results-heading")).to_have_text("0 sources")
    line = page.get_by_role("heading", name="No more sources match every word; these match some of them")
    expect(line).to_be_visible()
    some = page.locator("ol.results[aria-labelledby='some-heading']")
    expect(some).to_contain_text("A case of kratom-induced seizures")
    expect(some).to_contain_text("Kratom Use Among U.S. Adolescents")
    screenshot(page, "search-some-words")
