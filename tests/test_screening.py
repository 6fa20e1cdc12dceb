"""The screening stage: imported records are candidates, invisible to readers on every public page and
download until included at title/abstract and full text; decisions with reasons, stale refusal, undo,
dual screening with conflicts; and the PRISMA diagram counted from it all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence import prisma, screening
from evidence.models import Claim, Evidence, ExclusionReason, Identification, ScreeningDecision, Source
from evidence.suggestions import suggest_sources
from evidence.vocabularies import Decision, ScreeningStage, ScreeningStatus

pytestmark = pytest.mark.django_db
REALWORLD = Path(settings.SHARED_DATA_DIR) / "realworld"
RIS_EXPORT = REALWORLD / "ris" / "asreview-citation-file-formatting___baseline_scopus.ris"
PUBMED_EXPORT = REALWORLD / "medline" / "asreview-citation-file-formatting___baseline_pubmed.ris"
IMPORT = reverse("admin:evidence_source_import")
SCREEN = reverse("admin:evidence_screening")
TA, FT = ScreeningStage.TITLE_ABSTRACT, ScreeningStage.FULL_TEXT
PUBLIC_SOURCES = 76


def import_file(client, path: Path, database: str = "", content: bytes | None = None) -> None:
    """The admin's two steps: upload (preview), then commit what the preview carries."""
    upload = SimpleUploadedFile(path.name, path.read_bytes() if content is None else content)
    html = client.post(IMPORT, {"file": upload, "format": "auto"})
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html.content.decode()))
    fields["database"] = database
    assert client.post(IMPORT, fields).status_code == 302


@pytest.fixture
def imported(curator):
    import_file(curator, RIS_EXPORT, "Scopus")
    import_file(curator, PUBMED_EXPORT)
    return Source.objects.filter(screening_status=ScreeningStatus.CANDIDATE)


@pytest.fixture
def reason(db):
    return ExclusionReason.objects.get(name__startswith="Not about kratom")


def home_count(client) -> int:
    html = client.get(reverse("evidence:home")).content.decode()
    return int(re.search(r"<dt>Sources</dt><dd><a [^>]*>([\d,]+)</a>", html).group(1).replace(",", ""))


def test_imported_records_are_candidates_on_no_public_page_or_download(reader, imported, curator_user):
    assert imported.count() == 60
    candidate = imported.get(pmid="39223259") if imported.filter(pmid="39223259").exists() else imported.first()
    assert home_count(reader) == PUBLIC_SOURCES
    assert reader.get(reverse("evidence:source", args=[candidate.key])).status_code == 404
    assert reader.get(reverse("evidence:source-export", args=[candidate.key, "ris"])).status_code == 404
    listing = reader.get(reverse("evidence:sources") + "?q=dinosaur").content.decode()
    assert "No source matches" in listing
    assert not any(reverse("evidence:source", args=[key]) in listing for key in imported.values_list("key", flat=True))
    csv = b"".join(reader.get(reverse("evidence:sources-export", args=["csv"])).streaming_content).decode()
    assert len(csv.strip().splitlines()) == PUBLIC_SOURCES + 1 and "dinosaur" not in csv.lower()
    bibtex = b"".join(reader.get(reverse("evidence:sources-export", args=["bibtex"])).streaming_content).decode()
    assert bibtex.count("\n@") + bibtex.startswith("@") == PUBLIC_SOURCES
    assert Source.objects.public().count() == PUBLIC_SOURCES
    # Never offered as evidence: not by the suggestions, not by the link form, not by the evidence form.
    words = "Dinosaur fossils reveal feathers and skin of Cretaceous theropods."
    assert {s.screening_status for s in suggest_sources(words, Source.objects.all())} == {ScreeningStatus.CANDIDATE}
    assert all(
        s.screening_status == ScreeningStatus.INCLUDED for s in suggest_sources(words, Source.objects.screened_in())
    )
    link = Evidence(claim=Claim.objects.first(), source=candidate, stance="mentions", finding="x")
    with pytest.raises(ValidationError, match="include it at screening"):
        link.clean()


def test_a_record_included_at_both_stages_becomes_public(reader, imported, curator_user):
    record = imported.first()
    screening.decide(record.pk, TA, Decision.MAYBE, curator_user, screening.state_token(record))
    record.refresh_from_db()
    assert record.screening_status == ScreeningStatus.FULL_TEXT
    assert home_count(reader) == PUBLIC_SOURCES
    screening.decide(record.pk, FT, Decision.INCLUDE, curator_user, screening.state_token(record))
    record.refresh_from_db()
    assert record.screening_status == ScreeningStatus.INCLUDED
    assert home_count(reader) == PUBLIC_SOURCES + 1
    assert reader.get(reverse("evidence:source", args=[record.key])).status_code == 200
    # The status change is in the record's history, with who made it.
    latest = record.history.first()
    assert latest.history_user == curator_user and "full text" in latest.history_change_reason


def test_the_screening_page_shows_one_record_with_the_topic_terms_marked(curator, imported):
    html = curator.get(SCREEN).content.decode()
    assert 'id="screening-record"' in html and html.count('name="source"') == 1
    assert "<strong>60</strong> records waiting" in html
    for label in ("Abstract", "Keywords", "Include", "Exclude", "Maybe", "Exclusion reason"):
        assert label in html
    record = Source.objects.get(pk=re.search(r'name="source" value="(\d+)"', html).group(1))
    assert re.search(r"\b(?i:dinosaur)", record.title + record.abstract)
    marked = screening.highlight("Kratom <b>and</b> MITRAGYNINE in dinosaurs", screening.topic_terms())
    assert marked == "<mark>Kratom</mark> &lt;b&gt;and&lt;/b&gt; <mark>MITRAGYNINE</mark> in dinosaurs"


def screen_post(client, record, decision, reason=None, seen=None, stage=TA, **extra):
    data = {"source": record.pk, "stage": stage, "decision": decision, "seen": seen or screening.state_token(record)}
    if reason:
        data["reason"] = reason.pk
    return client.post(SCREEN, {**data, **extra})


def test_an_exclusion_without_a_reason_is_refused_and_nothing_is_written(curator, imported):
    record = imported.first()
    response = screen_post(curator, record, Decision.EXCLUDE)
    assert response.status_code == 400
    assert "An exclusion needs a reason" in response.content.decode()
    assert not ScreeningDecision.objects.exists()
    record.refresh_from_db()
    assert record.screening_status == ScreeningStatus.CANDIDATE


def test_a_decision_on_a_record_another_curator_just_decided_is_stale(curator, imported, fresh_curator, reason):
    record = imported.first()
    seen = screening.state_token(record)  # both curators opened the same record
    screening.decide(record.pk, TA, Decision.EXCLUDE, fresh_curator, seen, reason_id=reason.pk)
    response = screen_post(curator, record, Decision.INCLUDE, seen=seen)
    assert response.status_code == 409
    assert "Stale" in response.content.decode()
    assert ScreeningDecision.objects.count() == 1
    record.refresh_from_db()
    assert record.screening_status == ScreeningStatus.EXCLUDED


def test_a_decision_through_the_page_then_undo(curator, curator_user, imported, reason):
    record = imported.first()
    response = screen_post(curator, record, Decision.EXCLUDE, reason)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.screening_status == ScreeningStatus.EXCLUDED
    decision = ScreeningDecision.objects.get()
    assert (decision.decided_by, decision.reason) == (curator_user, reason)
    assert curator.post(reverse("admin:evidence_screening_undo"), {"stage": TA}).status_code == 302
    record.refresh_from_db()
    decision.refresh_from_db()
    assert record.screening_status == ScreeningStatus.CANDIDATE
    assert decision.withdrawn_at is not None and decision.withdrawn_by == curator_user  # kept, not deleted
    response = curator.post(reverse("admin:evidence_screening_undo"), {"stage": TA}, follow=True)
    assert "You have no decision to undo" in response.content.decode()


def test_maybe_is_not_a_full_text_decision(curator_user, imported):
    record = imported.first()
    screening.decide(record.pk, TA, Decision.INCLUDE, curator_user, screening.state_token(record))
    record.refresh_from_db()
    with pytest.raises(screening.ScreeningError, match="maybe is for titles"):
        screening.decide(record.pk, FT, Decision.MAYBE, curator_user, screening.state_token(record))


def test_dual_screening_needs_two_curators_and_lists_conflicts(curator, curator_user, fresh_curator, imported, reason):
    agreed, disputed = imported.order_by("pk")[:2]
    for record in (agreed, disputed):
        screening.decide(record.pk, TA, Decision.INCLUDE, curator_user, screening.state_token(record), dual=True)
        record.refresh_from_db()
        assert record.screening_status == ScreeningStatus.CANDIDATE  # one vote settles nothing
        assert record not in screening.queue(curator_user, TA, dual=True)
        assert record in screening.queue(fresh_curator, TA, dual=True)
    with pytest.raises(screening.ScreeningError, match="already decided"):
        screening.decide(agreed.pk, TA, Decision.INCLUDE, curator_user, screening.state_token(agreed), dual=True)
    screening.decide(agreed.pk, TA, Decision.MAYBE, fresh_curator, "", dual=True)
    screening.decide(disputed.pk, TA, Decision.EXCLUDE, fresh_curator, "", reason_id=reason.pk, dual=True)
    agreed.refresh_from_db()
    disputed.refresh_from_db()
    assert agreed.screening_status == ScreeningStatus.FULL_TEXT
    assert disputed.screening_status == ScreeningStatus.CANDIDATE
    assert [source for source, _ in screening.conflicts(TA)] == [disputed]
    assert disputed not in screening.queue(curator_user, TA, dual=True)
    settings.SCREENING_DUAL = True
    try:
        html = curator.get(reverse("admin:evidence_screening_conflicts")).content.decode()
        assert disputed.key in html and "third decision" in html
        third = screen_post(curator, disputed, Decision.EXCLUDE, reason, resolve="1")
        assert third.status_code == 302
    finally:
        settings.SCREENING_DUAL = False
    disputed.refresh_from_db()
    assert disputed.screening_status == ScreeningStatus.EXCLUDED
    assert screening.conflicts(TA) == []


def test_the_rules_of_a_stage():
    include, exclude, maybe = (screening.Vote(d, 1) for d in (Decision.INCLUDE, Decision.EXCLUDE, Decision.MAYBE))
    assert screening.stage_outcome([], dual=False) == screening.PENDING
    assert screening.stage_outcome([include, exclude], dual=False) == Decision.EXCLUDE  # the latest settles
    assert screening.stage_outcome([maybe], dual=False) == Decision.INCLUDE
    second = screening.Vote(Decision.MAYBE, 2)
    assert screening.stage_outcome([include], dual=True) == screening.PENDING
    assert screening.stage_outcome([include, second], dual=True) == Decision.INCLUDE
    assert screening.stage_outcome([exclude, second], dual=True) == screening.CONFLICT
    resolved = screening.Vote(Decision.EXCLUDE, 3, resolves_conflict=True)
    assert screening.stage_outcome([exclude, second, resolved], dual=True) == Decision.EXCLUDE
    assert screening.status_from({TA: [include], FT: [exclude]}, dual=False) == ScreeningStatus.EXCLUDED
    assert screening.status_from({TA: [maybe]}, dual=False) == ScreeningStatus.FULL_TEXT


def test_prisma_counts_the_imports_and_the_decisions(curator, curator_user, imported, reason):
    not_retrieved = ExclusionReason.objects.get(not_retrieved=True)
    records = list(imported.order_by("pk")[:5])

    def decide(record, stage, decision, why=None):
        record.refresh_from_db()
        screening.decide(
            record.pk, stage, decision, curator_user, screening.state_token(record), reason_id=why and why.pk
        )

    decide(records[0], TA, Decision.EXCLUDE, reason)
    decide(records[1], TA, Decision.EXCLUDE, reason)
    for record in records[2:]:
        decide(record, TA, Decision.INCLUDE)
    decide(records[2], FT, Decision.INCLUDE)
    decide(records[3], FT, Decision.EXCLUDE, reason)
    decide(records[4], FT, Decision.EXCLUDE, not_retrieved)
    counts = prisma.flow_counts(dual=False)
    assert counts.databases == [("PubMed", 50), ("Scopus", 10)]
    assert (counts.identified, counts.duplicates, counts.unreadable) == (60, 0, 0)
    assert (counts.screened, counts.awaiting_screening, counts.excluded_at_screening) == (5, 55, 2)
    assert (counts.sought, counts.not_retrieved, counts.assessed) == (3, 1, 2)
    assert counts.excluded_reasons == [(reason.name, 1)]
    assert (counts.new_included, counts.previous, counts.total_included) == (1, PUBLIC_SOURCES, PUBLIC_SOURCES + 1)

    page = curator.get(reverse("admin:evidence_prisma")).content.decode()
    svg = curator.get(reverse("admin:evidence_prisma_download", args=["svg"]))
    assert svg["Content-Type"].startswith("image/svg+xml")
    text = svg.content.decode()
    for box in (
        "Records identified from databases (n = 60)",
        "Scopus (n = 10)",
        "Duplicate records removed (n = 0)",
        "Records screened (n = 5)",
        "Records excluded (n = 2)",
        "Reports sought for retrieval (n = 3)",
        "Reports not retrieved (n = 1)",
        "Reports assessed for eligibility (n = 2)",
        "New studies included in review (n = 1)",
        f"Total studies included in review (n = {PUBLIC_SOURCES + 1})",
    ):
        assert box in text and box in page
    png = curator.get(reverse("admin:evidence_prisma_download", args=["png"]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_same_file_imported_again_identifies_nothing_new(curator, imported):
    import_file(curator, RIS_EXPORT, "Scopus")  # the import log knows its bytes: nothing written
    counts = prisma.flow_counts(dual=False)
    assert counts.databases == [("PubMed", 50), ("Scopus", 10)]
    assert counts.duplicates == 0 and imported.count() == 60
    assert Identification.objects.count() == 2


def test_records_another_export_finds_again_count_as_duplicates(curator, imported):
    # A second export of the same search: other bytes (a trailing line), the same ten records.
    import_file(curator, RIS_EXPORT, "Scopus", content=RIS_EXPORT.read_bytes() + b"\n")
    counts = prisma.flow_counts(dual=False)
    assert counts.databases == [("PubMed", 50), ("Scopus", 20)]
    assert counts.duplicates == 10 and imported.count() == 60
    assert Identification.objects.count() == 3


def test_the_screening_records_have_a_string_and_a_url(curator_user, imported, reason):
    record = imported.first()
    screening.decide(record.pk, TA, Decision.EXCLUDE, curator_user, screening.state_token(record), reason_id=reason.pk)
    for instance in (ScreeningDecision.objects.get(), Identification.objects.first(), reason):
        assert str(instance) and instance.get_absolute_url().startswith("/")


def test_screening_pages_are_for_curators_only(reader, curator, imported):
    for name in ("admin:evidence_screening", "admin:evidence_prisma", "admin:evidence_screening_conflicts"):
        assert reader.get(reverse(name)).status_code == 302  # to the login
        assert curator.get(reverse(name)).status_code == 200


def test_the_screening_page_has_bounded_queries(curator, imported, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        assert curator.get(SCREEN).status_code == 200
    with django_assert_max_num_queries(20):
        assert curator.get(reverse("admin:evidence_prisma")).status_code == 200
