"""What a researcher gets when citing the demo data: every export read back by an independent reader
(bibtexparser, rispy, citeproc-py, csv, json), and the pages' embedded metadata parsed."""

import csv
import io
import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl

import bibtexparser
import pytest
import rispy
from django.core.management import CommandError, call_command
from django.urls import reverse

from evidence.bibliography import styles
from evidence.bibliography.formats import EXPORT_FORMATS
from evidence.bibliography.formatted import format_references, html_to_rtf
from evidence.bibliography.sources import records_of
from evidence.models import Source

pytestmark = pytest.mark.django_db
URL = re.compile(r"https?://[^\s;,)]+")


def export(fmt: str, style: str = "apa", internal: bool = False, **filters) -> str:
    sources = Source.objects.public().filter(**filters).order_by("key")
    return "".join(EXPORT_FORMATS[fmt].write(records_of(sources, internal), style))


def people_in_each_export() -> dict[str, list[str]]:
    """Every author name each export holds, as its own reader sees it."""
    bib = bibtexparser.parse_string(export("bibtex"))
    ris = rispy.loads(export("ris"))
    items = json.loads(export("csljson"))
    rows = list(csv.DictReader(io.StringIO(export("csv"))))
    split = bibtexparser.middlewares.SplitNameParts(allow_inplace_modification=True)
    names = bibtexparser.middlewares.SeparateCoAuthors(allow_inplace_modification=True)
    bib_people = []
    for entry in bib.entries:
        if "author" in entry.fields_dict:
            entry = split.transform_entry(names.transform_entry(entry, bib), bib)
            bib_people += [" ".join(person.last) for person in entry["author"]]
    return {
        # BibTeX's own "and others" is its standard way to say "et al." (bibtex prints "et~al."): counted apart.
        "bibtex": [name for name in bib_people if name != "others"],
        "ris": [name for entry in ris for name in entry.get("authors", [])],
        "csljson": [a.get("family") or a.get("literal") for item in items for a in item.get("author", [])],
        "csv": [name.strip() for row in rows for name in row["authors"].split(";") if name.strip()],
    }


def test_no_export_holds_a_person_called_others():
    truncated = Source.objects.filter(authors_truncated=True).order_by("key")
    assert list(truncated.values_list("key", flat=True)) == [
        "Ahmad2021",
        "Mata2023",
        "Trakulsrichai2013",
        "Vicknasingam2020",
    ]
    for fmt, people in people_in_each_export().items():
        assert people, fmt
        assert not any(name.lower() in ("others", "et al.") for name in people), fmt
    assert export("bibtex").count(" and others}") == 4  # BibTeX's own "et al."
    assert export("ris").count("N1  - Author list: truncated (et al.)") == 4
    assert sum(item.get("custom", {}).get("authors_truncated", False) for item in json.loads(export("csljson"))) == 4
    for style in styles.COMMON_STYLES:
        references = " ".join(format_references(list(records_of(truncated)), style))
        assert "others" not in references and references.count("et al") == 4, style


@pytest.mark.parametrize("style", [*styles.COMMON_STYLES, "nature", "harvard-cite-them-right", "ieee", "the-lancet"])
def test_every_style_prints_the_group_authors(style):
    groups = Source.objects.filter(key__in=["DEA2016Notice", "WHO2022ECDD44", "CND2021ECDD44Summary"])
    text = " ".join(format_references(list(records_of(groups)), style)).lower()  # (some styles use small caps)
    assert text.count("drug enforcement administration") >= 1
    assert "world health organization" in text and "commission on narcotic drugs" in text


def test_apa_sentence_case_keeps_proper_nouns_and_latex_quotes_never_leak():
    apa = export("text", "apa")
    assert "Mitragyna speciosa use in the northern states of Malaysia: A cross-sectional study" in apa
    assert "Following “the roots” of kratom (Mitragyna speciosa): The evolution" in apa
    assert "``" not in apa and "''" not in apa
    for style in ("vancouver", "chicago", "nature"):
        assert "``" not in export("text", style)


def test_no_public_export_contains_a_provenance_url_and_a_curators_does():
    provenance_urls = {
        url.rstrip(".") for text in Source.objects.values_list("provenance", flat=True) for url in URL.findall(text)
    }
    own_urls = set(Source.objects.exclude(url="").values_list("url", flat=True))
    leaking = provenance_urls - own_urls  # a source's own URL may also be where it was seen
    assert len(leaking) > 50
    for fmt in EXPORT_FORMATS:
        text = export(fmt)
        assert not [url for url in leaking if url in text], fmt
        assert "[md table]" not in text and "provenance" not in text.lower(), fmt
    assert sum(url in export("bibtex", internal=True) for url in leaking) > 50


def test_bibtex_conventions():
    text = export("bibtex", key__in=["Kruegel2016", "DEA2016Notice", "Cinosi2015"])
    assert "pages = {6754--6764}" in text and "textendash" not in text.split("pages")[1].split("\n")[0]
    assert "author = {{Drug Enforcement Administration}}" in text
    assert "month = aug" in text
    assert "{Mitragyna speciosa}" in text  # braced: no style lowers it
    utf8 = export("bibtex-utf8", key__in=["Kruegel2016"])
    assert "Váradi" in utf8 and "{\\'a}" in export("bibtex", key__in=["Kruegel2016"])
    # keys are the records' own, the same every time
    assert re.findall(r"^@\w+\{([^,]+),", text, re.MULTILINE) == ["Cinosi2015", "DEA2016Notice", "Kruegel2016"]


def test_journal_title_and_abbreviation_each_where_the_style_wants_it(tmp_path):
    from evidence.bibliography.formats import parse

    medline = (
        "PMID- 1\nTI  - A synthetic test title.\nFAU - Example, Ann\nDP  - 2020\n"
        "JT  - Journal of synthetic examples\nTA  - J Synth Ex\nVI  - 3\nPG  - 10-12\n"
    )
    (record,) = parse(medline.encode()).records
    assert (record.container_title, record.journal_abbreviation) == ("Journal of synthetic examples", "J Synth Ex")
    assert "Journal of Synthetic Examples" in format_references([record], "apa")[0]  # APA title-cases it
    assert "J Synth Ex" in format_references([record], "vancouver")[0]
    for fmt, needle in [("ris", "J2  - J Synth Ex"), ("csljson", '"container-title-short": "J Synth Ex"')]:
        assert needle in "".join(EXPORT_FORMATS[fmt].write([record]))
    assert "shortjournal = {J Synth Ex}" in "".join(EXPORT_FORMATS["bibtex"].write([record]))
    # The demo's journals are as sources.bib gives them: an abbreviation stays one, nothing is made up.
    assert not Source.objects.exclude(journal_abbreviation="").exists()


def test_any_csl_style_by_id_from_the_command(tmp_path):
    out = tmp_path / "refs.txt"
    call_command("export_bibliography", format="text", style="nature", output=out, q="abuse liability")
    text = out.read_text()
    assert text.startswith("1. ") and "Hemby, S. E." in text
    call_command("export_bibliography", format="rtf", style="nature-medicine", output=out, q="abuse liability")
    rtf = out.read_text()
    assert rtf.startswith("{\\rtf1") and "{\\i Addiction Biology}" in rtf
    with pytest.raises(CommandError, match="No citation style 'no-such-style'"):
        call_command("export_bibliography", format="text", style="no-such-style")
    with pytest.raises(CommandError, match="citations only"):
        call_command(
            "export_bibliography", format="text", style="united-nations-development-programme-icca-legal-review"
        )


def test_styles_are_found_by_name_and_loaded_once():
    assert len(styles.catalogue()) > 10_000
    assert [info.id for info in styles.search("")[:4]] == [style_id for _, style_id in styles.COMMON_STYLES.values()]
    assert styles.search("nature")[0].id == "nature"
    assert styles.resolve("nature-medicine").path.name == "nature.csl"  # a dependent style renders as its parent
    assert styles.load(styles.resolve("nature").path) is styles.load(styles.resolve("nature-medicine").path)


def test_numbered_styles_number_in_the_given_order_and_author_date_styles_sort():
    records = list(records_of(Source.objects.filter(key__in=["Yue2018", "Hemby2018"]).order_by("-key")))
    assert [ref[:8] for ref in format_references(records, "nature")] == ["1. Yue, ", "2. Hemby,"[:8]]
    assert [ref[:5] for ref in format_references(records, "apa")] == ["Hemby", "Yue, "]


def test_rtf_keeps_italics_and_escapes_everything_else():
    assert html_to_rtf("A <i>b</i> {c} \\ é 中") == "A {\\i b} \\{c\\} \\\\ \\u233? \\u20013?"


def test_the_style_picker_finds_styles_and_offers_downloads_of_that_set(reader, django_assert_max_num_queries):
    export_url = reverse("evidence:sources-export", args=["text"]) + "?q=abuse"
    with django_assert_max_num_queries(3):
        response = reader.get(reverse("evidence:styles"), {"q": "lancet", "export": export_url})
    page = response.content.decode()
    assert response.status_code == 200 and "The Lancet" in page
    assert 'href="/sources/export.rtf?q=abuse&amp;style=the-lancet"' in page
    download = reader.get("/sources/export.html?q=abuse&style=the-lancet")
    assert download.status_code == 200 and "<li>" in b"".join(download.streaming_content).decode()
    assert reader.get(reverse("evidence:styles"), {"q": "x", "export": "https://evil.example/"}).status_code == 400
    assert reader.get(reverse("evidence:styles"), {"q": "x", "export": "/admin/"}).status_code == 400
    bad = reader.get("/sources/export.text?style=no-such-style")
    assert bad.status_code == 400 and "No citation style 'no-such-style'" in bad.content.decode()


# --- embedded metadata ----------------------------------------------------------------------------------


class Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.json_ld: list[str] = []
        self.coins: list[str] = []
        self._in_json = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name", "").startswith("citation_"):
            self.meta.append((attrs["name"], attrs["content"]))
        self._in_json = tag == "script" and attrs.get("type") == "application/ld+json"
        if tag == "span" and attrs.get("class") == "Z3988":
            self.coins.append(attrs["title"])

    def handle_data(self, data):
        if self._in_json:
            self.json_ld.append(data)
            self._in_json = False


def parsed(reader, url) -> Head:
    head = Head()
    head.feed(reader.get(url).content.decode())
    return head


def test_a_source_page_carries_highwire_tags_and_json_ld(reader, django_assert_max_num_queries):
    # The source page's own reads (test_browse_pages names them); the metadata adds none.
    with django_assert_max_num_queries(11):
        head = parsed(reader, reverse("evidence:source", args=["Kruegel2016"]))
    tags: dict[str, list[str]] = {}
    for name, content in head.meta:
        tags.setdefault(name, []).append(content)
    assert tags["citation_title"] == [Source.objects.get(key="Kruegel2016").title]
    assert (
        tags["citation_author"][:2] == ["Kruegel, Andrew C.", "Gassaway, Madalee M."]
        and len(tags["citation_author"]) == 8
    )
    assert tags["citation_publication_date"] == ["2016"]
    assert tags["citation_journal_title"] == ["Journal of the American Chemical Society"]
    assert (tags["citation_volume"], tags["citation_issue"]) == (["138"], ["21"])
    assert (tags["citation_firstpage"], tags["citation_lastpage"]) == (["6754"], ["6764"])
    assert tags["citation_doi"] == ["10.1021/jacs.6b00360"]
    assert tags["citation_abstract_html_url"] == ["http://testserver/sources/Kruegel2016/"]
    data = json.loads(head.json_ld[0])
    assert data["@type"] == "ScholarlyArticle" and data["name"] == tags["citation_title"][0]
    assert data["author"][0] == {
        "@type": "Person",
        "familyName": "Kruegel",
        "givenName": "Andrew C.",
        "name": "Andrew C. Kruegel",
    }
    assert data["isPartOf"]["issueNumber"] == "21" and data["isPartOf"]["isPartOf"]["volumeNumber"] == "138"
    assert data["isPartOf"]["isPartOf"]["isPartOf"]["name"] == "Journal of the American Chemical Society"
    assert {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.1021/jacs.6b00360"} in data["identifier"]
    assert (data["pageStart"], data["pageEnd"], data["datePublished"]) == ("6754", "6764", "2016")
    assert "provenance" not in json.dumps(data) and "docslib" not in json.dumps(data)


def test_a_pmid_and_a_group_author_are_embedded_too(reader):
    source = Source.objects.exclude(pmid="").order_by("key").first()
    tags = dict(parsed(reader, reverse("evidence:source", args=[source.key])).meta)
    assert tags["citation_pmid"] == source.pmid
    head = parsed(reader, reverse("evidence:source", args=["WHO2022ECDD44"]))
    assert ("citation_author", "World Health Organization") in head.meta
    assert json.loads(head.json_ld[0])["author"] == [{"@type": "Organization", "name": "World Health Organization"}]


def test_a_hostile_title_cannot_break_out_of_the_json_ld(reader):
    Source.objects.filter(key="Tatum2018").update(title="</script><script>alert(1)</script>")
    head = parsed(reader, reverse("evidence:source", args=["Tatum2018"]))
    assert json.loads(head.json_ld[0])["name"] == "</script><script>alert(1)</script>"


def test_the_source_list_carries_a_coins_span_per_source(reader):
    head = parsed(reader, reverse("evidence:sources") + "?q=abuse+liability")
    assert head.coins
    pairs = parse_qsl(head.coins[0])
    fields = dict(reversed(pairs))  # the first of a repeated key (rft.aulast: the first author)
    assert fields["ctx_ver"] == "Z39.88-2004" and fields["rft_val_fmt"] == "info:ofi/fmt:kev:mtx:journal"
    source = Source.objects.get(title=fields["rft.atitle"])
    assert fields["rft.aulast"] == source.ordered_authors[0].family
    assert ("rft_id", f"info:doi/{source.doi}") in pairs
