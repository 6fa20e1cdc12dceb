"""Each bibliography format read and written without the database, and checked by independent tools."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pybtex.database
import pytest
import rispy

from evidence.bibliography.bibtex import parse_bibtex, write_bibtex
from evidence.bibliography.csljson import parse_csljson, write_csljson
from evidence.bibliography.formats import EXPORT_FORMATS, UnknownFormat, decode, detect_format, parse
from evidence.bibliography.formatted import format_references
from evidence.bibliography.latex import decode_latex, encode_latex
from evidence.bibliography.medline import parse_medline
from evidence.bibliography.records import PersonName, SourceRecord
from evidence.bibliography.ris import parse_ris, write_ris
from evidence.bibliography.styles import COMMON_STYLES

DATA = Path(__file__).parent / "data"
HOSTILE_TITLE = "Mitragynine} , note = {injected} % 50% & $5 #1 a_b ~ ^ \\ {braces} “Váradi” 中文 μ-opioid"


def sample(**changes) -> SourceRecord:
    record = SourceRecord(
        key="Varadi2016",
        entry_type="article",
        title="Mitragynine/Corynantheidine Pseudoindoxyls As Opioid Analgesics with Mu Agonism and Delta Antagonism",
        authors=[
            PersonName("Váradi", "András"),
            PersonName("van der Berg", "J. P."),
            PersonName("World Health Organization", is_organization=True),
        ],
        year=2016,
        month=6,
        container_title="Journal of Medicinal Chemistry",
        volume="59",
        issue="18",
        pages="8381–8397",
        publisher="American Chemical Society",
        doi="10.1021/acs.jmedchem.6b00748",
        pmid="27556704",
        pmcid="PMC5344672",
        url="https://pubs.acs.org/doi/10.1021/acs.jmedchem.6b00748",
        abstract="An abstract with 50% and a new\nline.",
        keywords="mitragynine; opioid receptor; pseudoindoxyl",
        study_design="in-vitro",
        population="in-vitro",
        sample_size=12,
        sample_size_unit="assays",
        summary="A curator's finding.",
        provenance="seen: https://pubmed.ncbi.nlm.nih.gov/27556704/",
    )
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def same(a: SourceRecord, b: SourceRecord, fields) -> None:
    for name in fields:
        assert getattr(a, name) == getattr(b, name), name


ALL_FIELDS = [name for name in SourceRecord.__dataclass_fields__ if name != "line"]


# --- LaTeX ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [HOSTILE_TITLE, "plain", "}}}{{{", "\\textbf{x}", "~^", "Ünïcödé – ‘q’"])
def test_encoding_then_decoding_latex_gives_the_text_back(text):
    assert decode_latex(encode_latex(text)) == text


def test_plain_ascii_is_left_alone():
    assert encode_latex("Kratom use in 2020") == "Kratom use in 2020"


# --- BibTeX --------------------------------------------------------------------------------------------


def test_bibtex_round_trip_keeps_every_field():
    (back,) = parse_bibtex("".join(write_bibtex([sample()]))).records
    same(sample(), back, ALL_FIELDS)


def test_a_hostile_title_cannot_inject_a_field_or_end_the_entry():
    text = "".join(write_bibtex([sample(title=HOSTILE_TITLE)]))
    parsed = parse_bibtex(text)
    assert parsed.problems == []
    (back,) = parsed.records
    assert back.title == HOSTILE_TITLE
    assert "note =" not in text.split("title =")[0]
    assert pybtex.database.parse_string(text, "bibtex").entries["Varadi2016"].fields.get("note") is None


@pytest.mark.parametrize(
    ("entry_type", "bibtex_type"),
    [
        ("article", "article"),
        ("review", "article"),
        ("book", "book"),
        ("chapter", "incollection"),
        ("report", "techreport"),
        ("webpage", "misc"),
        ("regulatory", "misc"),
        ("dataset", "misc"),
    ],
)
def test_entry_types_are_bibtex_types_and_come_back(entry_type, bibtex_type):
    text = "".join(write_bibtex([sample(entry_type=entry_type)]))
    assert text.startswith(f"@{bibtex_type}{{Varadi2016,")
    assert parse_bibtex(text).records[0].entry_type == entry_type


def test_pybtex_reads_our_bibtex_with_the_same_people_and_fields():
    text = "".join(write_bibtex([sample(), sample(key="Other2020", title="Second", doi="", pmid="")]))
    database = pybtex.database.parse_string(text, "bibtex")
    entry = database.entries["Varadi2016"]
    assert [str(person) for person in entry.persons["author"]] == [
        "V{\\'a}radi, Andr{\\'a}s",
        "van der Berg, J. P.",
        "{World Health Organization}",
    ]
    assert entry.fields["doi"] == "10.1021/acs.jmedchem.6b00748"
    assert entry.fields["pmid"] == "27556704"
    assert entry.fields["year"] == "2016"
    assert "Other2020" in database.entries


def run_bibtex(tmp_path: Path, bib_text: str) -> tuple[int, str, str]:
    (tmp_path / "refs.bib").write_bytes(bib_text.encode("utf-8"))
    shutil.copy(DATA / "check.bst", tmp_path / "check.bst")
    (tmp_path / "test.aux").write_text("\\citation{*}\n\\bibstyle{check}\n\\bibdata{refs}\n")
    environment = {**os.environ, "BSTINPUTS": f"{tmp_path}:", "BIBINPUTS": f"{tmp_path}:"}
    done = subprocess.run(["bibtex", "test"], cwd=tmp_path, env=environment, capture_output=True, text=True)
    return (
        done.returncode,
        (tmp_path / "test.blg").read_text(errors="replace"),
        (tmp_path / "test.bbl").read_text(errors="replace"),
    )


@pytest.fixture
def bibtex_available():
    if shutil.which("bibtex") is None:
        if os.environ.get("REQUIRE_BIBTEX") == "1":
            pytest.fail("bibtex is missing: apt-get install texlive-binaries")
        pytest.skip("bibtex is missing (apt-get install texlive-binaries)")


def test_real_bibtex_processes_our_export_without_an_error_or_warning(tmp_path, bibtex_available):
    records = [
        sample(),
        sample(key="Hostile2020", title=HOSTILE_TITLE, doi="", pmid=""),
        sample(key="Bare", authors=[], year=None),
    ]
    returncode, log, bbl = run_bibtex(tmp_path, "".join(write_bibtex(records)))
    assert returncode == 0, log
    assert "Warning--" not in log and "error message" not in log
    assert bbl.count("\\bibitem{") == 3
    assert "V{\\'a}radi, A." in bbl  # bibtex split the name and abbreviated the accented given name


def test_real_bibtex_catches_what_we_guard_against(tmp_path, bibtex_available):
    # The check is real: an unescaped brace in a title makes bibtex report an error.
    returncode, log, _ = run_bibtex(tmp_path, "@article{x, title = {a } b}, year = {2020}}\n")
    assert returncode != 0 or "error" in log.lower()


def test_an_entry_cut_short_by_a_stray_brace_fails_whole_and_the_next_one_is_read():
    parsed = parse_bibtex("@article{a,\n  title = {T}},\n  year = {2016}\n}\n\n@article{b, title={Fine}}\n")
    assert [record.key for record in parsed.records] == ["b"]
    assert [(problem.line, problem.key) for problem in parsed.problems] == [(1, "a")]


def test_string_macros_months_comments_and_crossref():
    text = """@string{jmc = "Journal of Medicinal Chemistry"}
@comment{anything {at all}}
@proceedings{conf, title = {Proceedings of Something}, year = {2019}, publisher = {ACM}}
@inproceedings{paper, title = {A Paper}, crossref = {conf}, author = {Doe, Jane and Roe, R.}}
@article{j, title = {An Article}, journal = jmc, month = sep, year = 2001}
"""
    parsed = parse_bibtex(text)
    assert parsed.problems == [] and parsed.warnings == []
    by_key = {record.key: record for record in parsed.records}
    assert by_key["paper"].container_title == "Proceedings of Something"
    assert by_key["paper"].year == 2019 and by_key["paper"].publisher == "ACM"
    assert [name.family for name in by_key["paper"].authors] == ["Doe", "Roe"]
    assert by_key["j"].container_title == "Journal of Medicinal Chemistry" and by_key["j"].month == 9


def test_a_second_entry_with_the_same_key_is_read_not_dropped():
    parsed = parse_bibtex("@article{a, title={One}}\n@article{a, title={Two}, doi={10.1000/xyz}}\n")
    assert [record.title for record in parsed.records] == ["One", "Two"]
    assert parsed.records[1].doi == "10.1000/xyz"  # cleaned like any other entry
    assert "used twice" in parsed.warnings[0].message


# --- RIS -----------------------------------------------------------------------------------------------


RIS_TWO = "TY  - JOUR\nTI  - First\nAU  - Doe, Jane\nPY  - 2020\nER  - \n\nTY  - BOOK\nTI  - Second\nER  - \n"


@pytest.mark.parametrize(
    "variant",
    [
        RIS_TWO,
        "\ufeff" + RIS_TWO,  # a UTF-8 BOM: rispy reads nothing
        RIS_TWO.replace("\n", "\r"),  # old-Mac line endings: rispy reads nothing
        RIS_TWO.replace("  - ", " - "),  # one space before the dash: rispy reads nothing
        RIS_TWO.rstrip().removesuffix("ER  -"),  # no final ER: rispy drops the last record
        RIS_TWO.replace("ER  - \n\nTY  - BOOK", "\nTY  - BOOK", 1),  # no ER between records: rispy merges them
    ],
)
def test_ris_traps_are_closed(variant):
    parsed = parse_ris(variant)
    assert [record.title for record in parsed.records] == ["First", "Second"]
    assert [record.entry_type for record in parsed.records] == ["article", "book"]
    assert parsed.records[0].authors == [PersonName("Doe", "Jane")]


def test_ris_round_trip_keeps_every_field():
    (back,) = parse_ris("".join(write_ris([sample()]))).records
    same(sample(), back, [name for name in ALL_FIELDS if name not in ("key", "abstract")])
    assert back.key == "Varadi2016"
    assert back.abstract == "An abstract with 50% and a new line."  # folded onto one line, see below


def test_a_newline_in_a_ris_value_cannot_inject_a_record():
    hostile = sample(title="Real title\nER  - \nTY  - JOUR\nTI  - Injected")
    text = "".join(write_ris([hostile]))
    assert [record.title for record in parse_ris(text).records] == ["Real title ER  - TY  - JOUR TI  - Injected"]
    assert len(rispy.loads(text)) == 1


# --- CSL-JSON ------------------------------------------------------------------------------------------


def test_csljson_round_trip_and_schema():
    text = "".join(
        write_csljson([sample(), sample(key="Org", authors=[PersonName("WHO", is_organization=True)], year=None)])
    )
    items = json.loads(text)
    schema = json.loads((DATA / "csl-data-we-write.schema.json").read_text())
    jsonschema.validate(items, schema)
    back = parse_csljson(text).records
    same(sample(), back[0], ALL_FIELDS)
    assert back[1].authors == [PersonName("WHO", is_organization=True)] and back[1].year is None


def test_the_schema_check_is_real():
    schema = json.loads((DATA / "csl-data-we-write.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"id": "x", "type": "journal-article"}], schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"id": "x", "type": "book", "author": [{"name": "x"}]}], schema)


def test_csljson_bad_items_are_reported_not_fatal():
    parsed = parse_csljson(
        '[{"id": "a", "type": "book", "title": "Fine"}, 42, '
        '{"id": "b", "title": "T", "issued": {"date-parts": [["2020", "13"]]}}]'
    )
    assert [record.key for record in parsed.records] == ["a", "b"]
    assert parsed.records[1].year == 2020 and parsed.records[1].month is None
    assert "item 2 is not an object" in parsed.problems[0].message
    assert parse_csljson("[{").problems[0].message.startswith("not valid JSON")


# --- MEDLINE -------------------------------------------------------------------------------------------


MEDLINE = """PMID- 27556704
TI  - Mitragynine/Corynantheidine Pseudoindoxyls As Opioid Analgesics with Mu
      Agonism and Delta Antagonism, Which Do Not Recruit beta-Arrestin-2.
AB  - An abstract.
FAU - Varadi, Andras
AU  - Varadi A
FAU - Pasternak, Gavril W
DP  - 2016 Sep 22
JT  - Journal of medicinal chemistry
VI  - 59
IP  - 18
PG  - 8381-8397
LID - 10.1021/acs.jmedchem.6b00748 [doi]
PMC - PMC5344672
PT  - Journal Article

PMID- 1
TI  - Second.
PT  - Review
"""


def test_medline_records_with_continuation_lines():
    first, second = parse_medline(MEDLINE).records
    assert first.title.endswith("with Mu Agonism and Delta Antagonism, Which Do Not Recruit beta-Arrestin-2.")
    assert first.authors == [PersonName("Varadi", "Andras"), PersonName("Pasternak", "Gavril W")]
    assert (first.year, first.doi, first.pmcid, first.pages, first.line) == (
        2016,
        "10.1021/acs.jmedchem.6b00748",
        "PMC5344672",
        "8381-8397",
        1,
    )
    assert second.entry_type == "review" and second.line == 17


# --- detection, decoding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("@article{a, title={T}}", "bibtex"),
        ("  % comment\n@Book(a, title={T})", "bibtex"),
        (RIS_TWO, "ris"),
        ('[{"id": "a"}]', "csljson"),
        (MEDLINE, "medline"),
        ("\ufeffTY  - JOUR\nER  - ", "ris"),
    ],
)
def test_formats_are_told_from_content(text, name):
    assert detect_format(text) == name


def test_an_unknown_format_is_a_clear_error():
    with pytest.raises(UnknownFormat, match="expected BibTeX"):
        detect_format("just some text")


def test_files_are_decoded_whatever_their_encoding():
    assert decode("Váradi".encode()) == ("Váradi", "UTF-8")
    assert decode("Váradi".encode("cp1252")) == ("Váradi", "Windows-1252")
    assert decode("凯撒 的 标题".encode("gbk")) == ("凯撒 的 标题", "GB18030")
    parsed = parse("@article{a, title={Caf\u00e9}}".encode("cp1252"))
    assert parsed.records[0].title == "Café" and "Windows-1252" in parsed.notes[0]


# --- CSV and formatted references ----------------------------------------------------------------------


def test_csv_neutralises_spreadsheet_formulas():
    text = "".join(EXPORT_FORMATS["csv"].write([sample(title='=HYPERLINK("http://x")', keywords="+1; @x")]))
    header, row = text.splitlines()[:2]
    assert header.startswith("key,entry_type,authors,title")
    assert "'=HYPERLINK" in row and "'+1; @x" in row


@pytest.mark.parametrize("style", sorted(COMMON_STYLES))
def test_each_style_renders_a_reference(style):
    (text,) = format_references([sample()], style, "text")
    assert "Mitragynine/Corynantheidine Pseudoindoxyls" in text or "mitragynine/corynantheidine" in text.lower()
    assert "8381" in text
    (html,) = format_references([sample(title="<script>alert(1)</script>")], style, "html")
    assert "<script>" not in html.lower() and "&lt;script&gt;" in html.lower()  # (sentence case: "&lt;Script")


def test_vancouver_numbers_references_in_order():
    first, second = format_references([sample(), sample(key="B", title="Second work")], "vancouver", "text")
    assert first.startswith("1. Váradi A") and second.startswith("2. ")
