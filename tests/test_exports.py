"""Downloads: the sources page's result set, one source, a statement's sources, an article's, and the admin."""

import re

import pybtex.database
import pytest
from django.urls import reverse

from evidence.filters import find_sources
from evidence.models import Claim, Source

pytestmark = pytest.mark.django_db
SEED = "kratom-for-chronic-pain"


def download(client, url):
    response = client.get(url)
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return response, body


def bibtex_keys(text):
    return re.findall(r"^@\w+\{([^,]+),", text, re.MULTILINE)


def page_keys(client, query):
    keys, page = [], 1
    while True:
        html = client.get(reverse("evidence:sources") + query + f"&page={page}").content.decode()
        keys += re.findall(r'class="result__title" href="/sources/([^/]+)/"', html)
        if 'rel="next"' not in html:
            return keys
        page += 1


@pytest.mark.parametrize(
    "query",
    [
        "?q=kratom&sort=relevance",
        "?design=narrative-review&sort=author",
        "?compound=mitragynine&year_from=2015&sort=oldest",
    ],
)
def test_the_list_export_is_exactly_the_pages_result_set_in_the_same_order(reader, query):
    response, text = download(reader, reverse("evidence:sources-export", args=["bibtex"]) + query)
    assert response.status_code == 200
    assert bibtex_keys(text) == page_keys(reader, query)


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("bibtex", "application/x-bibtex; charset=utf-8", "bib"),
        ("ris", "application/x-research-info-systems; charset=utf-8", "ris"),
        ("csljson", "application/vnd.citationstyles.csl+json", "json"),
        ("csv", "text/csv; charset=utf-8", "csv"),
        ("text", "text/plain; charset=utf-8", "txt"),
        ("html", "text/html; charset=utf-8", "html"),
    ],
)
def test_every_format_downloads_with_a_filename_and_content_type(reader, fmt, content_type, extension):
    response, text = download(reader, reverse("evidence:sources-export", args=[fmt]) + "?q=abuse")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="kratom-evidence-sources.{extension}"'
    assert "Hemby" in text


def test_the_list_page_offers_exports_of_its_own_result_set(reader):
    html = reader.get(reverse("evidence:sources") + "?q=abuse&design=animal-study&page=1").content.decode()
    assert 'href="/sources/export.bibtex?q=abuse&amp;design=animal-study" download' in html
    assert 'href="/sources/export.text?q=abuse&amp;design=animal-study&amp;style=vancouver" download' in html


def test_one_source_a_statements_sources_and_an_articles_sources(reader):
    _, one = download(reader, reverse("evidence:source-export", args=["Hemby2018", "ris"]))
    assert one.count("TY  - ") == 1 and "ID  - Hemby2018" in one
    claim = Claim.objects.filter(evidence__isnull=False).first()
    _, claims = download(reader, reverse("evidence:claim-sources-export", args=[claim.pk, "bibtex"]))
    assert sorted(bibtex_keys(claims)) == sorted(set(claim.evidence.values_list("source__key", flat=True)))
    _, article = download(reader, reverse("evidence:article-sources-export", args=[SEED, "bibtex"]))
    cited = Source.objects.filter(evidence__claim__article__slug=SEED).distinct()
    assert sorted(bibtex_keys(article)) == sorted(cited.values_list("key", flat=True))
    assert pybtex.database.parse_string(article, "bibtex").entries  # and a real parser reads it


def test_source_pages_cite_in_four_styles_and_offer_downloads(reader):
    html = reader.get(reverse("evidence:source", args=["Hemby2018"])).content.decode()
    assert (
        html.count("<dt>APA</dt>") == 1
        and "<dt>Vancouver</dt>" in html
        and "<dt>AMA</dt>" in html
        and "<dt>Chicago</dt>" in html
    )
    assert "Hemby, S. E., McIntosh, S." in html
    assert 'href="/sources/Hemby2018/export.bibtex" download' in html


def test_a_hostile_title_is_escaped_in_every_output(reader):
    Source.objects.filter(key="Tatum2018").update(title='<script>alert(1)</script> =cmd|" /C calc"!A0 } , x = {')
    html = reader.get(reverse("evidence:source", args=["Tatum2018"])).content.decode()
    assert "<script>alert(1)" not in html
    _, references = download(reader, reverse("evidence:source-export", args=["Tatum2018", "html"]))
    # (in sentence case, the first word is capitalised: "&lt;Script")
    assert "<script>" not in references.lower() and "&lt;script&gt;" in references.lower()
    _, csv_text = download(reader, reverse("evidence:source-export", args=["Tatum2018", "csv"]))
    assert ',"<script>alert(1)</script> =cmd' in csv_text  # not a formula: left as text, quoted
    Source.objects.filter(key="Tatum2018").update(title="=1+1")
    _, csv_text = download(reader, reverse("evidence:source-export", args=["Tatum2018", "csv"]))
    assert ",'=1+1," in csv_text
    Source.objects.filter(key="Tatum2018").update(title="a } , note = {injected")
    _, bib = download(reader, reverse("evidence:source-export", args=["Tatum2018", "bibtex"]))
    assert "note" not in pybtex.database.parse_string(bib, "bibtex").entries["Tatum2018"].fields


def test_bad_formats_styles_and_filters(reader):
    assert reader.get(reverse("evidence:sources-export", args=["xls"])).status_code == 404
    response = reader.get(reverse("evidence:sources-export", args=["text"]) + "?style=no-such-style")
    assert response.status_code == 400 and "No citation style 'no-such-style'" in response.content.decode()
    response = reader.get(reverse("evidence:sources-export", args=["bibtex"]) + "?year_from=abc")
    assert response.status_code == 400 and response.content.decode() == "From year: Enter a number.\n"
    assert reader.get(reverse("evidence:source-export", args=["Nope1999", "bibtex"])).status_code == 404


def test_an_export_reads_in_chunks_whatever_its_size(reader, django_assert_max_num_queries):
    # Two queries per 500 sources (the rows and their authors): the demo's 76 take two.
    with django_assert_max_num_queries(2):
        download(reader, reverse("evidence:sources-export", args=["ris"]))


def test_find_sources_is_what_both_the_page_and_the_export_use():
    from django.http import QueryDict

    found = find_sources(QueryDict("q=abuse&sort=title"))
    assert found.sort == "title" and found.valid
    assert list(found.results.values_list("title", flat=True)) == sorted(found.results.values_list("title", flat=True))


def test_the_admin_exports_the_selected_sources(curator):
    selected = list(Source.objects.filter(key__in=["Hemby2018", "Yue2018"]).values_list("pk", flat=True))
    response = curator.post(
        reverse("admin:evidence_source_changelist"), {"action": "export_bibtex", "_selected_action": selected}
    )
    text = b"".join(response.streaming_content).decode()
    assert response["Content-Disposition"] == 'attachment; filename="selected-sources.bib"'
    assert bibtex_keys(text) == ["Hemby2018", "Yue2018"]
