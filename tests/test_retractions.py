"""Retraction checks: Retraction Watch's CSV (Crossref's layout) marks our sources, all or nothing.

Every row of these files names a synthetic source made here: its DOI is built in code under a registrant
code no publisher holds in our data, and its PMID is a nine-digit number PubMed has not reached. No real
paper is ever marked retracted.
"""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from evidence import retractions
from evidence.articles import create_article
from evidence.models import Evidence, Source
from evidence.retractions import RetractionFileError, import_retractions
from evidence.support import Status

pytestmark = pytest.mark.django_db

# Crossref's header, in its order (retraction_watch.csv, as distributed since 2023).
HEADER = [
    "Record ID",
    "Title",
    "Subject",
    "Institution",
    "Journal",
    "Publisher",
    "Country",
    "Author",
    "URLS",
    "ArticleType",
    "RetractionDate",
    "RetractionDOI",
    "RetractionPubMedID",
    "OriginalPaperDate",
    "OriginalPaperDOI",
    "OriginalPaperPubMedID",
    "RetractionNature",
    "Reason",
    "Paywalled",
    "Notes",
]
REGISTRANT = "9" * 5  # 10.99999/… : synthetic, and built here so that no file holds a real-looking DOI


def synthetic_doi(name: str) -> str:
    return f"10.{REGISTRANT}/synthetic-{name}"


def synthetic_pmid(number: int) -> str:
    return str(990_000_000 + number)


def row(record_id, doi="unavailable", pmid="0", nature="Retraction", date="1/26/2024 0:00", reason="", notice=""):
    values = dict.fromkeys(HEADER, "")
    values.update(
        {
            "Record ID": str(record_id),
            "Title": "Synthetic paper",
            "RetractionDate": date,
            "RetractionDOI": notice or "unavailable",
            "RetractionPubMedID": "0",
            "OriginalPaperDate": "3/5/2021 0:00",
            "OriginalPaperDOI": doi,
            "OriginalPaperPubMedID": pmid,
            "RetractionNature": nature,
            "Reason": reason,
            "Paywalled": "No",
        }
    )
    return [values[name] for name in HEADER]


def csv_file(*rows, header=HEADER, encoding="utf-8") -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode(encoding))


def synthetic_source(name: str, number: int, **fields) -> Source:
    fields = {"doi": synthetic_doi(name), "pmid": synthetic_pmid(number), **fields}
    return Source.objects.create(key=f"SyntheticRetraction{name.title()}", title=f"Synthetic paper {name}", **fields)


@pytest.fixture
def sources():
    return {name: synthetic_source(name, number) for number, name in enumerate(["alpha", "beta", "gamma"], start=1)}


def test_a_retraction_marks_the_source_with_date_reasons_notice_and_history(sources, curator_user):
    reason = "+Falsification/Fabrication of Data;+Investigation by Journal/Publisher;"
    upper_case_link = "https://doi.org/" + synthetic_doi("alpha").upper()
    file = csv_file(row(1, doi=upper_case_link, reason=reason, notice=synthetic_doi("alpha-notice")))

    report = import_retractions(file, curator_user)

    alpha = Source.objects.get(pk=sources["alpha"].pk)
    assert alpha.retraction_status == "retracted"
    assert str(alpha.retraction_date) == "2024-01-26"
    # The file's "+" would make a spreadsheet read the cell as a formula: never stored.
    assert alpha.retraction_reason == "Falsification/Fabrication of Data; Investigation by Journal/Publisher"
    assert alpha.retraction_notice == synthetic_doi("alpha-notice")
    latest = alpha.history.first()
    assert (latest.history_user, latest.history_change_reason) == (curator_user, "Retraction Watch import")
    assert [change.source.key for change in report.changed_sources] == ["SyntheticRetractionAlpha"]
    assert (report.rows, report.matched, report.problems) == (1, 1, [])


def test_a_pmid_matches_and_each_nature_gives_its_status(sources):
    file = csv_file(
        row(1, pmid=synthetic_pmid(2), nature="Expression of concern"),
        row(2, doi=synthetic_doi("gamma"), nature="Correction"),
    )
    import_retractions(file)
    statuses = dict(
        Source.objects.filter(key__startswith="SyntheticRetraction").values_list("key", "retraction_status")
    )
    assert statuses == {
        "SyntheticRetractionAlpha": "none",
        "SyntheticRetractionBeta": "expression-of-concern",
        "SyntheticRetractionGamma": "corrected",
    }


def test_the_latest_notice_stands_and_a_reinstatement_clears_it(sources):
    alpha, beta = synthetic_doi("alpha"), synthetic_doi("beta")
    file = csv_file(
        row(1, doi=alpha, nature="Retraction", date="6/1/2022 0:00"),
        row(2, doi=alpha, nature="Expression of concern", date="1/10/2021 0:00"),
        row(3, doi=beta, nature="Retraction", date="6/1/2022 0:00", reason="Duplication of Article;"),
        row(4, doi=beta, nature="Reinstatement", date="2/2/2023 0:00"),
    )
    import_retractions(file)
    alpha, beta = Source.objects.get(pk=sources["alpha"].pk), Source.objects.get(pk=sources["beta"].pk)
    assert (alpha.retraction_status, str(alpha.retraction_date)) == ("retracted", "2022-06-01")
    assert (beta.retraction_status, beta.retraction_date, beta.retraction_reason) == ("none", None, "")


def test_a_file_without_the_columns_it_needs_is_refused_naming_them_and_nothing_is_written(sources):
    header = [name for name in HEADER if name not in ("OriginalPaperDOI", "RetractionNature")]
    file = csv_file([*row(1, doi=synthetic_doi("alpha"))[:-2]], header=header)
    with pytest.raises(RetractionFileError, match="lacks the columns OriginalPaperDOI, RetractionNature"):
        import_retractions(file)
    assert Source.objects.get(pk=sources["alpha"].pk).retraction_status == "none"


def test_malformed_rows_are_reported_with_their_line_and_the_rest_is_written(sources):
    file = csv_file(
        row(1, doi=synthetic_doi("alpha"), reason="Notes spanning\ntwo lines;"),  # lines 2-3
        row(2, doi=synthetic_doi("beta"), nature="Partial Retraction"),  # line 4
        row(3, doi=synthetic_doi("gamma"), date="the 5th of May"),  # line 5
        ["4", "a short row"],  # line 6
        [""] * len(HEADER),  # an empty row, as the file ends with: neither counted nor a problem
    )
    report = import_retractions(file)
    assert [str(problem) for problem in report.problems] == [
        "line 4: unknown RetractionNature “Partial Retraction”",
        "line 5: RetractionDate “the 5th of May” is not a date like 1/26/2024 0:00",
        "line 6: 2 fields, fewer than the header's",
    ]
    assert report.rows == 4
    assert Source.objects.get(pk=sources["alpha"].pk).retraction_reason == "Notes spanning\ntwo lines"
    assert Source.objects.get(pk=sources["beta"].pk).retraction_status == "none"


def test_a_byte_order_mark_and_a_windows_1252_line_are_read(sources):
    file = csv_file(row(1, doi=synthetic_doi("alpha"), reason="Concerns about données;"), encoding="cp1252")
    file = io.BytesIO(b"\xef\xbb\xbf" + file.getvalue())
    report = import_retractions(file)
    assert report.problems == []
    assert Source.objects.get(pk=sources["alpha"].pk).retraction_reason == "Concerns about données"


@pytest.fixture
def supported_claim(sources):
    """A claim whose only reviewed support is the synthetic source alpha (a randomised trial in people)."""
    Source.objects.filter(pk=sources["alpha"].pk).update(
        study_design="randomised-controlled-trial", population="humans"
    )
    article, _ = create_article("Synthetic retraction article", "Synthetic tea cures synthetic headaches.")
    claim = article.claims.get()
    claim.category = "efficacy"
    claim.save()
    Evidence.objects.create(claim=claim, source=sources["alpha"], stance="supports", curation_status="reviewed")
    return claim


def test_the_report_lists_the_claims_that_change_status(supported_claim):
    report = import_retractions(csv_file(row(1, doi=synthetic_doi("alpha"))))
    (change,) = report.changed_claims
    assert (change.claim, change.before, change.after) == (supported_claim, Status.SUPPORTED, Status.UNSUPPORTED)
    assert report.claims_checked == 1
    assert "1 linked claim checked, 1 changed status." in report.summary()


@pytest.mark.django_db(transaction=True)  # committed, as production: the on-commit work runs
def test_the_import_recomputes_the_stored_statuses_and_raises_the_data_version(supported_claim):
    # A bulk update sends no signal: the import itself schedules both, at its commit.
    from evidence.models import ClaimStatus, DataVersion

    assert ClaimStatus.objects.get(claim=supported_claim).status == Status.SUPPORTED
    before = DataVersion.objects.get().n
    import_retractions(csv_file(row(1, doi=synthetic_doi("alpha"))))
    assert ClaimStatus.objects.get(claim=supported_claim).status == Status.UNSUPPORTED
    assert DataVersion.objects.get().n > before


def test_a_dry_run_reports_everything_and_writes_nothing(supported_claim, sources):
    history = Source.history.count()
    report = import_retractions(csv_file(row(1, doi=synthetic_doi("alpha"))), dry_run=True)
    assert [c.source.key for c in report.changed_sources] == ["SyntheticRetractionAlpha"]
    assert [(c.before, c.after) for c in report.changed_claims] == [(Status.SUPPORTED, Status.UNSUPPORTED)]
    assert "would change" in report.summary()
    assert Source.objects.get(pk=sources["alpha"].pk).retraction_status == "none"
    assert Source.history.count() == history


def test_importing_the_same_file_again_changes_nothing(supported_claim, sources):
    file = csv_file(row(1, doi=synthetic_doi("alpha"), reason="Fake Peer Review;"), row(2, pmid=synthetic_pmid(2)))
    first = import_retractions(file)
    version, history = Source.objects.get(pk=sources["alpha"].pk).version, Source.history.count()
    file.seek(0)
    again = import_retractions(file)
    assert (len(first.changed_sources), len(first.changed_claims)) == (2, 1)
    assert (again.matched, again.changed_sources, again.changed_claims) == (2, [], [])
    assert Source.objects.get(pk=sources["alpha"].pk).version == version
    assert Source.history.count() == history


def test_a_large_file_is_looked_up_in_batches(sources, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(retractions, "LOOKUP_BATCH", 100)
    unrelated = [row(n, doi=synthetic_doi(f"unrelated-{n}"), pmid=synthetic_pmid(1000 + n)) for n in range(1_000)]
    file = csv_file(*unrelated, row(2_000, pmid=synthetic_pmid(3)))
    # 10 look-ups of 100 rows and 1 of the last; then the savepoint, the sources locked, the claims linked
    # before and after (none here), the update, its history rows, the claims to recompute at commit and the
    # savepoint's release.
    with django_assert_max_num_queries(19):
        report = import_retractions(file)
    assert (report.rows, report.matched, len(report.changed_sources)) == (1_001, 1, 1)


def test_the_command_reports_and_a_dry_run_writes_nothing(tmp_path, sources, supported_claim):
    path = tmp_path / "retraction_watch.csv"
    path.write_bytes(csv_file(row(1, doi=synthetic_doi("alpha"))).getvalue())
    out = io.StringIO()
    call_command("import_retractions", str(path), "--dry-run", stdout=out)
    assert "SyntheticRetractionAlpha: none → would be retracted (line 2)" in out.getvalue()
    assert "supported → would be unsupported" in out.getvalue()
    assert Source.objects.get(pk=sources["alpha"].pk).retraction_status == "none"
    call_command("import_retractions", str(path), "--user", "curator", stdout=io.StringIO())
    assert Source.objects.get(pk=sources["alpha"].pk).history.first().history_user.username == "curator"


def test_the_command_names_what_it_cannot_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_retractions", str(tmp_path / "missing.csv"))
    path = tmp_path / "other.csv"
    path.write_bytes(b"DOI,Title\n")
    with pytest.raises(CommandError, match="lacks the columns Record ID, RetractionDate"):
        call_command("import_retractions", str(path))


def test_a_curator_uploads_the_file_and_sees_the_report(curator, curator_user, supported_claim, sources):
    url = reverse("admin:evidence_source_retractions")
    assert curator.get(url).status_code == 200
    upload = csv_file(row(1, doi=synthetic_doi("alpha"), notice=synthetic_doi("alpha-notice")))
    upload.name = "retraction_watch.csv"
    page = curator.post(url, {"file": upload}).content.decode()  # the dry run box unticked
    assert "What this import changed" in page
    assert "SyntheticRetractionAlpha" in page and "Synthetic tea cures synthetic headaches." in page
    assert Source.objects.get(pk=sources["alpha"].pk).history.first().history_user == curator_user


def test_the_upload_page_refuses_a_wrong_file_and_is_for_curators(curator, reader, sources):
    url = reverse("admin:evidence_source_retractions")
    upload = io.BytesIO(b"DOI,Title\n")
    upload.name = "other.csv"
    page = curator.post(url, {"file": upload, "dry_run": "on"}).content.decode()
    assert "lacks the columns" in page and "Nothing was changed." in page
    assert reader.get(url).status_code == 302  # to the login page


def test_every_page_shows_the_retraction_with_date_reasons_and_notice(reader, supported_claim, sources):
    file = csv_file(row(1, doi=synthetic_doi("alpha"), reason="Fake Peer Review;", notice=synthetic_doi("notice")))
    import_retractions(file)
    notice_link = f'href="https://doi.org/{synthetic_doi("notice")}"'
    source_page = reader.get(sources["alpha"].get_absolute_url()).content.decode()
    assert "Retracted on 2024-01-26." in source_page and "Reasons given: Fake Peer Review." in source_page
    assert notice_link in source_page and "does not count as support" in source_page
    claim_page = reader.get(supported_claim.get_absolute_url()).content.decode()
    assert '<strong class="tag tag--warning">retracted 2024-01-26</strong> not counted' in claim_page
    assert notice_link in claim_page
    listed = reader.get(reverse("evidence:sources") + "?retraction=retracted").content.decode()
    assert "retracted 2024-01-26" in listed and notice_link in listed
    # The review page folds each statement's evidence; its table is the statement's evidence fragment.
    review = reader.get(reverse("evidence:claim-evidence-fragment", args=[supported_claim.pk])).content.decode()
    assert '<strong class="retracted">retracted 2024-01-26</strong>' in review and notice_link in review


def test_every_download_notes_the_retraction(reader, sources):
    file = csv_file(row(1, doi=synthetic_doi("alpha"), reason="+Fake Peer Review;", notice=synthetic_doi("notice")))
    import_retractions(file)
    note = f"Retracted 2024-01-26 (Fake Peer Review); notice https://doi.org/{synthetic_doi('notice')}"
    key = sources["alpha"].key
    for fmt, written in [
        ("csv", note),
        ("ris", f"N1  - Retraction: {note}"),
        ("bibtex", "note = {Retracted 2024-01-26 (Fake Peer Review); notice"),
        ("csljson", f'"note": "{note}"'),
    ]:
        response = reader.get(reverse("evidence:source-export", args=[key, fmt]))
        assert written in b"".join(response).decode(), fmt


def test_a_quote_left_open_is_refused_with_its_line_and_nothing_is_written(sources):
    good = csv_file(row(1, doi=synthetic_doi("alpha"))).getvalue()
    broken = good + b'2,"Synthetic title never closed,' + b"x" * 200_000 + b"\r\n"
    with pytest.raises(RetractionFileError, match=r"Line 3 cannot be read as CSV \(field larger than field limit"):
        import_retractions(io.BytesIO(broken))
    assert Source.objects.get(pk=sources["alpha"].pk).retraction_status == "none"
