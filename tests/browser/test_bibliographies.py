"""A curator imports a Zotero BibTeX file and a PubMed file through preview and commit; a researcher
downloads the filtered sources."""

import json
import re
from pathlib import Path

from django.conf import settings
from playwright.sync_api import expect

from .conftest import screenshot
from .test_curation import log_in

PUBMED = Path(settings.SHARED_DATA_DIR) / "realworld/medline/asreview-citation-file-formatting___baseline_pubmed.ris"
ZOTERO_RIS = Path(settings.SHARED_DATA_DIR) / "realworld/ris/asreview-citation-file-formatting___baseline_zotero.ris"


def import_file(page, site, path: Path, expected_summary: str):
    page.goto(f"{site}/admin/evidence/source/")
    page.get_by_role("link", name="Import a bibliography").click()
    page.get_by_label("Bibliography file").set_input_files(str(path))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name=re.compile("What importing this"))).to_be_visible()
    expect(page.locator(".import-preview")).to_contain_text(expected_summary)
    rows = page.locator("#import-entries tbody tr")
    expect(rows).not_to_have_count(0)
    return rows


def test_a_curator_previews_and_commits_a_pubmed_file_then_a_ris_file(page, site):
    log_in(page, site)
    rows = import_file(page, site, PUBMED, "50 new, 0 duplicates, 0 conflicts, 0 failed.")
    expect(rows).to_have_count(50)
    screenshot(page, "admin-import-preview")
    page.get_by_role("button", name=re.compile("^Import: write")).click()
    expect(page.locator(".messagelist")).to_contain_text("50 new screening candidates written")
    screenshot(page, "admin-import-done")

    # The same file again: everything is recognised, nothing would be written twice.
    import_file(page, site, PUBMED, "0 new, 50 duplicates, 0 conflicts, 0 failed.")

    rows = import_file(page, site, ZOTERO_RIS, "9 new, 0 duplicates, 0 conflicts, 1 failed.")
    failed = page.locator("#import-entries tr.import-failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("issue: Ensure this value has at most 50 characters")
    screenshot(page, "admin-import-ris-preview")
    assert page.csp_violations == []


def test_a_researcher_downloads_the_filtered_sources(page, site):
    page.goto(f"{site}/sources/?q=abuse&design=animal-study")
    expect(page.locator("#results-heading")).to_have_text("2 sources")
    exports = page.get_by_role("navigation", name="Download these sources")
    with page.expect_download() as info:
        exports.get_by_role("link", name="BibTeX").click()
    download = info.value
    assert download.suggested_filename == "kratom-evidence-sources.bib"
    text = Path(download.path()).read_text()
    assert re.findall(r"^@\w+\{([^,]+),", text, re.MULTILINE) == ["Hemby2018", "Yue2018"]
    with page.expect_download() as info:
        exports.get_by_role("link", name="Vancouver (text)").click()
    assert Path(info.value.path()).read_text().startswith("1. Hemby SE")
    screenshot(page, "sources-with-downloads")


def test_a_researcher_picks_a_journals_style_and_downloads_the_references(page, site):
    page.goto(f"{site}/sources/?q=abuse&design=animal-study")
    exports = page.get_by_role("navigation", name="Download these sources")
    exports.get_by_role("searchbox", name=re.compile("Another citation style")).fill("lancet")
    exports.get_by_role("button", name="Find a style").click()
    expect(page.get_by_role("heading", name=re.compile("Styles matching “lancet”"))).to_be_visible()
    expect(page.get_by_role("row").nth(1)).to_contain_text("The Lancet")  # the journal itself before its offshoots
    screenshot(page, "style-picker")
    with page.expect_download() as info:
        page.get_by_role("link", name="The Lancet: References (RTF, for Word)").click()
    download = info.value
    assert download.suggested_filename == "kratom-evidence-sources.rtf"
    rtf = Path(download.path()).read_text()
    assert rtf.startswith("{\\rtf1") and "Hemby SE" in rtf and "Yue K" in rtf
    with page.expect_download() as info:
        page.get_by_role("link", name="The Lancet: References (text)").click()
    assert Path(info.value.path()).read_text().startswith("1 Hemby SE")
    assert page.csp_violations == []


def test_a_source_page_head_carries_the_citation_metadata_zotero_reads(page, site):
    page.goto(f"{site}/sources/Kruegel2016/")
    head = page.locator("head")
    expect(head.locator('meta[name="citation_title"]')).to_have_attribute(
        "content", re.compile("^Synthetic and Receptor")
    )
    expect(head.locator('meta[name="citation_author"]')).to_have_count(8)
    expect(head.locator('meta[name="citation_doi"]')).to_have_attribute("content", "10.1021/jacs.6b00360")
    json_ld = json.loads(head.locator('script[type="application/ld+json"]').text_content())
    assert json_ld["@type"] == "ScholarlyArticle" and json_ld["author"][0]["familyName"] == "Kruegel"
    assert page.csp_violations == []
    # Shown: the head as a reference manager's importer sees it, for the screenshot.
    tags = head.locator('meta[name^="citation_"]')
    lines = [
        f"{tags.nth(i).get_attribute('name')}: {tags.nth(i).get_attribute('content')}" for i in range(tags.count())
    ]
    page.set_content("<pre style='font: 13px monospace; white-space: pre-wrap'></pre>")
    page.locator("pre").evaluate(
        "(pre, text) => pre.textContent = text", "\n".join(lines) + "\n\n" + json.dumps(json_ld, indent=1)
    )
    screenshot(page, "source-page-head")
