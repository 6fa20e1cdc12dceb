"""The Summary of Findings: its rows from GRADE ratings, and its CSV, Markdown and Word files (the Word
file opened by real LibreOffice). Synthetic studies here; the seed article's table is tested below them."""

import csv
import io
import os
import re
import shutil
import subprocess

import docx
import pytest

from evidence.findings import finding_row, findings_as_csv, findings_as_docx, findings_as_markdown
from evidence.grade import Study, rate

RCT = "randomised-controlled-trial"


@pytest.fixture
def libreoffice():
    binary = shutil.which("soffice")
    if binary is None:
        if os.environ.get("REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice is missing: apt-get install libreoffice-writer-nogui")
        pytest.skip("LibreOffice is missing (apt-get install libreoffice-writer-nogui)")
    return binary


def convert(libreoffice, path, to):
    """LibreOffice headless, with its own profile so parallel runs do not share one."""
    profile = f"-env:UserInstallation=file://{path.parent / 'lo-profile'}"
    command = [libreoffice, profile, "--headless", "--convert-to", to, "--outdir", str(path.parent), str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    return path.with_suffix("." + to.split(":")[0])


def synthetic_rows():
    trial = Study("TrialA", "partially-supports", RCT, "humans", 26, "participants")
    mice = Study("MiceA", "supports", "animal-study", "animals", 40, "mice")
    against = Study("SurveyA", "contradicts", "cross-sectional-survey", "humans", 129, "participants")
    deciding = [trial, mice]
    hostile = '=HYPERLINK("http://example.invalid") | *bold* <b>x</b>'
    return [
        finding_row(
            "1",
            "Synthetic claim relieves pain.",
            "efficacy",
            "weak",
            deciding,
            [against],
            rate("efficacy", True, deciding, [against]),
        ),
        finding_row("2", hostile, "dosage", "contradicted", [against], [], rate("dosage", True, [against])),
        finding_row("3", "Synthetic claim nobody studied.", "efficacy", "unsupported", [], [], None),
    ]


def test_a_row_counts_studies_and_participants_by_design_and_letters_each_downgrade():
    row = synthetic_rows()[0]
    assert [str(d) for d in row.designs] == [
        "randomised controlled trial: 1, 26 participants",
        "cross-sectional survey: 1, 129 participants",
        "animal study: 1",
    ]
    assert (row.studies, row.participants, row.direction) == (3, 155, "2 for (1 only in part), 1 against")
    assert (row.certainty, row.symbols) == ("very low", "⊕◯◯◯")
    assert [note.split(":")[0] for note in row.footnotes] == [
        "Inconsistency",
        "Indirectness",
        "Imprecision",
        "Publication bias",
        "Not assessed (no record to judge from)",
    ]


def test_the_csv_has_a_row_per_statement_and_neutralises_formulas():
    rows = list(csv.reader(io.StringIO(findings_as_csv(synthetic_rows()))))
    assert rows[0][:4] == ["number", "statement", "category", "status"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert rows[2][1].startswith("'=HYPERLINK")
    assert rows[3][8:10] == ["", ""]  # unsupported: no certainty


def test_the_markdown_table_escapes_text_and_letters_footnotes_through_the_table():
    text = findings_as_markdown("Synthetic article", synthetic_rows())
    assert "| 1 | Synthetic claim relieves pain. |" in text
    assert "⊕◯◯◯ very low<sup>a</sup><sup>b</sup><sup>c</sup><sup>d</sup><sup>e</sup> |" in text
    assert "\\*bold\\* \\<b\\>x\\</b\\>" in text and "<b>x" not in text
    assert "\nf. Imprecision: serious (−1). 129 participants in SurveyA" in text


def test_the_word_file_opens_in_python_docx_with_every_row():
    document = docx.Document(io.BytesIO(findings_as_docx("Synthetic article", synthetic_rows(), [])))
    (table,) = document.tables
    assert [row.cells[0].text for row in table.rows] == ["#", "1", "2", "3"]
    assert table.rows[1].cells[5].text == "⊕◯◯◯ very low a,b,c,d,e"


def test_libreoffice_converts_the_word_file_to_pdf(tmp_path, libreoffice):
    flagged = [("1 · weak", "Synthetic claim relieves pain.", ["Synthetic reason."])]
    path = tmp_path / "findings.docx"
    path.write_bytes(findings_as_docx("Synthetic article", synthetic_rows(), flagged))
    pdf = convert(libreoffice, path, "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = convert(libreoffice, path, "txt:Text").read_text(encoding="utf-8-sig")
    assert "Synthetic claim nobody studied." in text and "Synthetic reason." in text


# --- The seed article's table ------------------------------------------------------------------------------
SEED = "kratom-for-chronic-pain"


@pytest.mark.django_db
def test_the_seed_summary_of_findings_opens_in_libreoffice_with_every_checkworthy_statement(
    reader, tmp_path, libreoffice
):
    from django.urls import reverse

    from evidence.models import Claim

    response = reader.get(reverse("evidence:article-findings-download", args=[SEED, "docx"]))
    assert response["Content-Disposition"] == f'attachment; filename="{SEED}-summary-of-findings.docx"'
    path = tmp_path / "seed.docx"
    path.write_bytes(response.content)
    assert convert(libreoffice, path, "pdf").read_bytes().startswith(b"%PDF")
    text = " ".join(convert(libreoffice, path, "txt:Text").read_text(encoding="utf-8-sig").split())
    checkworthy = Claim.objects.filter(article__slug=SEED, checkworthy=True)
    assert checkworthy.count() == 22
    for claim in checkworthy:
        assert " ".join(claim.text.split()) in text, claim.text
    assert "⊕◯◯◯ very low" in text and "Imprecision: very serious (−2). 26 participants in Vicknasingam2020" in text


@pytest.mark.django_db
def test_the_seed_summary_of_findings_page_and_files_have_a_row_per_checkworthy_statement(
    reader, django_assert_max_num_queries
):
    from django.urls import reverse

    # article, claims with their links and sources, the five GRADE reads
    with django_assert_max_num_queries(8):
        page = reader.get(reverse("evidence:article-findings", args=[SEED])).content.decode()
    numbers = [1, 2, 3, 4, 8, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 23, 24, 26, 27, 28, 32, 34]
    assert [int(n) for n in re.findall(r'<th scope="row">(\d+)</th>', page)] == numbers
    assert 'id="note-a"' in page
    rows = list(
        csv.reader(
            io.StringIO(reader.get(reverse("evidence:article-findings-download", args=[SEED, "csv"])).content.decode())
        )
    )
    assert [int(r[0]) for r in rows[1:]] == numbers
    (eight,) = [r for r in rows if r[0] == "8"]
    assert (eight[3], eight[8], eight[9]) == ("weak", "very low", "⊕◯◯◯")
    markdown = reader.get(reverse("evidence:article-findings-download", args=[SEED, "md"])).content.decode()
    assert markdown.startswith("# Summary of findings: Kratom for chronic pain")
    assert reader.get(reverse("evidence:article-findings-download", args=[SEED, "pdf"])).status_code == 404
    assert reader.get(reverse("evidence:article-findings", args=["no-such-article"])).status_code == 404
