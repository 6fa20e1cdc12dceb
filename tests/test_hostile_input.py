"""Hostile and bad input, case by case: each asserts exactly what happens (escaped, neutralised,
refused with a message, nothing written, a 4xx page)."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from evidence.bibliography.formats import EXPORT_FORMATS, UnknownFormat, parse
from evidence.bibliography.importer import Action, plan_import
from evidence.bibliography.sources import records_of
from evidence.models import Article, Author, Claim, Evidence, Source

pytestmark = pytest.mark.django_db
SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
IMPORT = reverse("admin:evidence_source_import")


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def export(fmt: str, key: str, style: str = "apa", internal: bool = False) -> str:
    return "".join(EXPORT_FORMATS[fmt].write(records_of(Source.objects.filter(key=key), internal), style))


# --- script and HTML is shown escaped everywhere -----------------------------------------------------


@pytest.mark.parametrize("field", ["title", "abstract", "summary", "container_title", "keywords"])
def test_script_in_a_source_field_is_escaped_on_its_page(reader, field):
    Source.objects.filter(key="Tatum2018").update(**{field: SCRIPT})
    html = page(reader, reverse("evidence:source", args=["Tatum2018"]))
    assert SCRIPT not in html and ESCAPED in html


def test_script_in_a_title_is_escaped_in_the_list_home_and_admin(reader, curator):
    Source.objects.filter(key="Tatum2018").update(title=SCRIPT, updated_at="2100-01-01T00:00:00Z")
    for html in [
        page(reader, reverse("evidence:sources") + "?q=Tatum"),
        page(reader, reverse("evidence:home")),
        page(curator, reverse("admin:evidence_source_changelist") + "?q=Tatum2018"),
    ]:
        assert SCRIPT not in html and "&lt;script&gt;" in html


def test_script_in_an_author_name_is_escaped(reader):
    Author.objects.filter(family="Tatum").update(family=SCRIPT)
    html = page(reader, reverse("evidence:source", args=["Tatum2018"]))
    assert SCRIPT not in html and ESCAPED in html


def test_script_in_a_claim_is_escaped_on_its_page_the_list_the_map_and_the_article(reader):
    claim = Claim.objects.filter(evidence__isnull=False, checkworthy=True).first()
    Claim.objects.filter(pk=claim.pk).update(text=SCRIPT + ' " onmouseover="x')
    # The review page's line of each statement is written by a template filter (statement_line).
    urls = [claim.get_absolute_url(), reverse("evidence:claims"), reverse("evidence:evidence-map")]
    for url in [*urls, claim.article.get_absolute_url(), reverse("evidence:claim-evidence", args=[claim.pk])]:
        html = page(reader, url)
        assert SCRIPT not in html and 'onmouseover="x' not in html


def test_script_in_a_finding_is_escaped_in_the_statements_evidence_rows(reader):
    # The rows are written by a template filter (evidence_row), not by the template: escaped all the same.
    link = Evidence.objects.filter(claim__article__slug="kratom-for-chronic-pain").order_by("pk").first()
    Evidence.objects.filter(pk=link.pk).update(finding=SCRIPT + ' " onmouseover="x', stance="supports")
    html = page(reader, reverse("evidence:claim-evidence-fragment", args=[link.claim_id]))
    assert SCRIPT not in html and 'onmouseover="x' not in html and ESCAPED in html


def test_script_in_article_text_is_escaped_on_the_review_page(reader):
    Article.objects.filter(slug="kratom-for-chronic-pain").update(title=SCRIPT)
    html = page(reader, reverse("evidence:article", args=["kratom-for-chronic-pain"]))
    assert SCRIPT not in html and ESCAPED in html


def test_script_in_an_article_title_is_escaped_in_the_statement_filters_select(reader):
    # The select is written in Python (filters.PlainSelect), not by Django's option templates.
    Article.objects.filter(slug="kratom-for-chronic-pain").update(title=SCRIPT + ' " onmouseover="x')
    for url in [reverse("evidence:claims"), reverse("evidence:evidence-map")]:
        html = page(reader, url + "?article=kratom-for-chronic-pain")
        assert SCRIPT not in html and 'onmouseover="x' not in html
        assert f'<option value="kratom-for-chronic-pain" selected>{ESCAPED}' in html


def test_script_in_a_formatted_html_reference_is_escaped():
    Source.objects.filter(key="Tatum2018").update(title=SCRIPT)
    html = export("html", "Tatum2018")
    # (in sentence case: the title's first word is capitalised)
    assert "<script>" not in html.lower() and "&lt;script&gt;" in html.lower()


# --- spreadsheet formulas ----------------------------------------------------------------------------


@pytest.mark.parametrize("formula", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tTAB", "\rCR"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(formula):
    Source.objects.filter(key="Tatum2018").update(title=formula)
    row = export("csv", "Tatum2018").splitlines()[1]
    assert f",'{formula.strip()}" in row.replace('"', "") or f"'{formula}" in export("csv", "Tatum2018")


# --- no active TeX from field content ------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["\\input{/etc/passwd}", "\\write18{rm -rf ~}", "\\immediate\\write18{id}", "\\openout1=x.tex"]
)
@pytest.mark.parametrize("field", ["title", "provenance"])
def test_bibtex_export_carries_no_tex_command_from_content(command, field):
    Source.objects.filter(key="Tatum2018").update(**{field: f"Before {command} after"})
    text = export("bibtex", "Tatum2018", internal=True)  # (the provenance is in a curator's export only)
    name = command[1:].split("{")[0].split("=")[0].split("\\")[0]
    assert f"\\{name}" not in text
    # (a word with a digit, like write18, is braced to keep its case: still text, not a command)
    assert "\\textbackslash{}" + name in text or "\\textbackslash{}{" + name in text


# --- links -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", "ftp://example.org/x"],
)
def test_only_http_urls_become_links(reader, url):
    Source.objects.filter(key="Tatum2018").update(url=url)
    Article.objects.filter(slug="kratom-for-chronic-pain").update(url=url)
    html = page(reader, reverse("evidence:source", args=["Tatum2018"]))
    assert 'href="' + url not in html and "href='" + url not in html
    review = page(reader, reverse("evidence:article", args=["kratom-for-chronic-pain"]))
    assert "Read the original" not in review


def test_an_http_url_is_a_link(reader):
    Source.objects.filter(key="Tatum2018").update(url="https://example.org/paper")
    assert 'href="https://example.org/paper"' in page(reader, reverse("evidence:source", args=["Tatum2018"]))


# --- uploads: a clear message, nothing written ---------------------------------------------------------


def upload(client, data: bytes, name="file.bib"):
    return unescape(client.post(IMPORT, {"file": SimpleUploadedFile(name, data), "format": "auto"}).content.decode())


@override_settings(IMPORT_MAX_BYTES=1000)
def test_an_upload_over_the_size_limit_is_refused(curator):
    before = Source.objects.count()
    html = upload(curator, b"@article{a, title={T}}\n" + b"%" * 2000)
    assert "The file is 2,023 bytes; the limit is 1,000. Split it into smaller files." in html
    assert Source.objects.count() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n...", "This is a PDF, not a bibliography"),
        (b"PK\x03\x04zip", "This is a ZIP or Word/Excel file, not a bibliography"),
        (b"\x00\x01\x02" * 100, "This is a binary file, not a bibliography"),
    ],
)
def test_a_binary_upload_is_refused(curator, data, message):
    before = Source.objects.count()
    assert message in upload(curator, data)
    assert Source.objects.count() == before


def test_invalid_utf8_is_read_as_windows_1252_and_the_preview_says_so(curator):
    before = Source.objects.count()
    html = upload(curator, "@article{Cafe1, title = {Caf\u00e9 society}, year = {2020}}".encode("cp1252"))
    assert "The file is not UTF-8; it was read as Windows-1252." in html
    assert "Café society" in html and Source.objects.count() == before


def outcome(text: str | bytes):
    plan = plan_import(parse(text if isinstance(text, bytes) else text.encode()))
    return [(entry.action, entry.reason) for entry in plan.entries]


def test_nul_bytes_are_removed():
    assert plan_import(parse(b"@article{n, title={A\x00B}}")).entries[0].record.title == "AB"


def test_unbalanced_braces_fail_their_entry_with_the_line_and_the_rest_imports():
    assert outcome("@article{ok, title={Fine}}\n@article{bad, title={Open\n") == [
        (Action.NEW, "not in the database"),
        (Action.FAILED, "not a well-formed entry (unbalanced braces or quotes?)"),
    ]


def test_deeply_nested_braces_are_read_flat_or_fail_their_entry_never_the_import():
    # Braces alone are grouping, read without recursion; around other markup they go to pylatexenc,
    # which recurses per level, and the entry fails with a reason instead of the import crashing.
    assert outcome("@article{flat, title={" + "{" * 3000 + "x" + "}" * 3000 + "}}") == [
        (Action.NEW, "not in the database")
    ]
    assert outcome("@article{deep, title={" + "{" * 3000 + "\\emph{x}" + "}" * 3000 + "}}") == [
        (Action.FAILED, "braces nested too deeply to read")
    ]


def test_a_huge_string_expansion_fails_its_entry():
    text = '@string{s = "' + "x" * 1000 + '"}\n@article{huge, title = ' + " # ".join(["s"] * 2000) + "}"
    ((action, reason),) = outcome(text)
    assert action == Action.FAILED and reason.startswith("title: Ensure this value has at most 1000 characters")


def test_ris_without_any_er_is_still_read_record_by_record():
    assert [a for a, _ in outcome("TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\n")] == [Action.NEW, Action.NEW]


def test_a_ten_thousand_author_list_fails_its_entry():
    authors = " and ".join(f"Author{i}, A." for i in range(10_000))
    assert outcome(f"@article{{many, title={{Many}}, author={{{authors}}}}}") == [
        (Action.FAILED, "10,000 authors: more than the 5,000 a record may have")
    ]


@pytest.mark.parametrize("doi", ["10.1/x", "doi:10.12", "11.1234/abc", "10.1234"])
def test_malformed_dois_fail_their_entry(doi):
    ((action, reason),) = outcome(f"@article{{d, title={{T}}, doi={{{doi}}}}}")
    assert action == Action.FAILED and reason.startswith("doi: ")


def test_text_that_is_no_bibliography_is_refused():
    with pytest.raises(UnknownFormat, match="Could not tell the format"):
        parse(b"Dear colleague, here are my references.")


# --- bad parameters: 4xx, never 500 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/sources/?year_from=abc", 400),
        ("/sources/?compound=%3Cscript%3E", 400),
        ("/sources/?q=%00", 400),
        ("/sources/?page=abc", 200),
        ("/sources/?page=-1", 200),
        ("/sources/?q=" + "a" * 5000, 200),
        ("/sources/?sort=%3Cscript%3E", 200),
        ("/sources/NoSuchKey/", 404),
        ("/sources/%3Cscript%3E/", 404),
        ("/claims/999999/", 404),
        ("/claims/abc/", 404),
        ("/claims/?status=%3Cscript%3E", 400),
        ("/evidence-map/?article=nowhere", 400),
        ("/articles/nowhere/", 404),
        ("/articles/kratom-for-chronic-pain/report.exe", 404),
        ("/sources/export.exe", 404),
        ("/sources/export.text?style=%3Cscript%3E", 400),
    ],
)
def test_bad_parameters_give_4xx_pages_never_500(reader, url, status):
    response = reader.get(url)
    assert response.status_code == status
    assert "<script>" not in response.content.decode().replace('<script src="', "")
