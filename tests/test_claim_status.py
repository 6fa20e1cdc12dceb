"""Stored claim statuses (evidence/claim_status.py): the same as the rules give, on every page, after every
kind of write; recomputed once per transaction on commit; drift reported; fewer queries than assessing."""

import io
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from evidence import claim_status, reports
from evidence.bibliography.formats import parse
from evidence.bibliography.importer import commit_import
from evidence.models import Article, Author, Authorship, Claim, ClaimStatus, Evidence, GradeOverride, Source
from evidence.vocabularies import (
    ClaimCategory,
    GradeDomain,
    GradeJudgment,
    Population,
    RetractionStatus,
    Stance,
    StudyDesign,
)
from tests.conftest import count_queries
from tests.test_importing import bib
from tests.test_safe_curation import change_form_data

pytestmark = pytest.mark.django_db
SEED = "kratom-for-chronic-pain"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Writes as a request makes them: the on-commit recompute runs when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def stored(claim: Claim) -> str:
    return ClaimStatus.objects.get(claim=claim).status


def computed(claim: Claim) -> str:
    return reports.statements_of(Claim.objects.for_review().filter(pk=claim.pk))[0].status.value


@pytest.fixture
def supported(committed) -> tuple[Claim, Source]:
    """A claim about efficacy supported by one synthetic trial: a status that any change to the trial moves."""
    with committed():
        claim = Claim.objects.create(text="Synthetic statement on efficacy.", category=ClaimCategory.EFFICACY)
        source = Source.objects.create(
            key="SynStatus2020",
            title="A synthetic trial for stored statuses",
            year=2020,
            study_design=StudyDesign.RCT,
            population=Population.HUMANS,
            sample_size=500,
        )
        author = Author.objects.create(family="Synthetica-Status", given="A.")
        Authorship.objects.create(source=source, author=author, position=1)
        Evidence.objects.create(
            claim=claim, source=source, stance=Stance.SUPPORTS, finding="Synthetic.", curation_status="reviewed"
        )
    assert stored(claim) == computed(claim) == "supported"
    return claim, source


# --- the same as the rules, everywhere -------------------------------------------------------------------------


def test_every_demo_claims_stored_status_is_what_the_rules_give():
    assert ClaimStatus.objects.count() == Claim.objects.count() == 37
    assert claim_status.drift() == []
    claims = list(Claim.objects.for_review())
    for read, live in zip(claim_status.statements_of(claims), reports.statements_of(claims), strict=True):
        # Only the Summary of Findings reads the studies, and it assesses live.
        assert read.assessment == replace(live.assessment, deciding=(), opposing=())
        assert (read.status, read.status_label, read.links, read.verdict) == (
            live.status,
            live.status_label,
            live.links,
            live.verdict,
        )
        assert [p.assessment.reasons for p in read.parts] == [p.assessment.reasons for p in live.parts]


def pages() -> list[str]:
    articles = [reverse("evidence:article", args=[slug]) for slug in Article.objects.values_list("slug", flat=True)]
    claims = [claim.get_absolute_url() for claim in Claim.objects.all()]
    claims += [
        reverse("evidence:claim-evidence-fragment", args=[pk]) for pk in Claim.objects.values_list("pk", flat=True)
    ]
    lists = [reverse("evidence:claims"), reverse("evidence:home"), reverse("evidence:evidence-map")]
    api = ["/api/v1/claims/", f"/api/v1/articles/{SEED}/"]
    return [*articles, *claims, *lists, *api]


def test_every_page_that_shows_statuses_is_the_same_read_stored_or_assessed_and_needs_fewer_queries(reader):
    urls = pages()
    read = {url: reader.get(url).content for url in urls}
    queries = {url: count_queries(reader, url) for url in urls}
    ClaimStatus.objects.all().delete()  # every claim assessed live from its evidence, as before statuses were stored
    assert {url: reader.get(url).content for url in urls} == read
    live = {url: count_queries(reader, url) for url in urls}
    assert all(queries[url] <= live[url] for url in urls)
    assert queries[f"/articles/{SEED}/"] < live[f"/articles/{SEED}/"]


def test_the_status_filter_selects_in_the_database_what_the_rules_give(reader, django_assert_max_num_queries):
    live = {s.claim.pk: s.status.value for s in reports.statements_of(Claim.objects.for_review())}
    for status in ["weak", "supported", "contradicted"]:
        with django_assert_max_num_queries(7):
            response = reader.get(reverse("evidence:claims"), {"status": status})
        listed = {statement.claim.pk for statement in response.context["page"]}
        assert listed == {pk for pk, value in live.items() if value == status} and listed
    both = reader.get(reverse("evidence:claims"), {"status": ["weak", "supported"]}).context["page"]
    assert both.paginator.count == sum(value in ("weak", "supported") for value in live.values())


def test_the_claim_list_and_review_page_read_stored_statuses_in_fewer_queries(reader, django_assert_max_num_queries):
    # Session-free reads: the claims count and page, their links and sources, compounds, the stored rows.
    with django_assert_max_num_queries(7):
        assert reader.get(reverse("evidence:claims")).status_code == 200
    # The article, its claims, their stored rows, the strongest links (was 9: links' values and five GRADE reads).
    with django_assert_max_num_queries(4):
        assert reader.get(reverse("evidence:article", args=[SEED])).status_code == 200
    # Counting drafts is a curator's view: assessed live, not stored.
    with django_assert_max_num_queries(9):
        assert reader.get(reverse("evidence:article", args=[SEED]), {"drafts": "include"}).status_code == 200


def test_the_admin_claims_list_shows_and_filters_by_status_and_certainty(curator, django_assert_max_num_queries):
    url = reverse("admin:evidence_claim_changelist")
    with django_assert_max_num_queries(16):
        page = curator.get(url, {"all": ""}).content.decode()
    assert "<th" in page and "weak, certainty" in page and "not checkable" in page
    weak = curator.get(url, {"stored_status__status__exact": "weak", "all": ""}).context["cl"]
    assert {c.pk for c in weak.result_list} == set(
        ClaimStatus.objects.filter(status="weak").values_list("pk", flat=True)
    )
    low = curator.get(url, {"stored_status__certainty__exact": "very low", "all": ""}).context["cl"]
    assert low.result_count == ClaimStatus.objects.filter(certainty="very low").count() > 0


# --- every kind of write ----------------------------------------------------------------------------------------


def test_an_admin_save_of_a_claim_changes_its_stored_status(supported, curator, committed):
    claim, _ = supported
    url = reverse("admin:evidence_claim_change", args=[claim.pk])
    data = change_form_data(curator, url)
    data.pop("checkworthy")  # unticked
    with committed():
        assert curator.post(url, data).status_code == 302
    assert stored(claim) == computed(claim) == "not_checkable"


def test_a_retraction_on_a_source_changes_the_status_of_the_claims_it_supported(supported, committed):
    claim, source = supported
    with committed():
        source.retraction_status = RetractionStatus.RETRACTED
        source.save()
    assert stored(claim) == computed(claim) != "supported"
    assert claim_status.drift() == []  # every other claim of that source too


def test_an_import_that_fills_a_sources_design_changes_its_claims_status(supported, committed):
    claim, source = supported
    design = source.study_design
    with committed():
        source.study_design = ""
        source.save()
    assert stored(claim) == computed(claim) != "supported"
    with committed():
        entry = bib(
            title=source.title, author="Synthetica-Status, A.", year="2020", extra=f",\n  studydesign = {{{design}}}"
        )
        result = commit_import(parse(entry.encode()))
    assert result.updated == [source]
    assert stored(claim) == computed(claim) == "supported"


def test_an_api_write_changes_the_status_it_answers_with(supported, curator_user, committed):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=curator_user)[0].key}")
    claim, _ = supported
    url = f"/api/v1/claims/{claim.pk}/"
    with committed():
        response = api.patch(url, {"checkworthy": False}, format="json", HTTP_IF_MATCH=api.get(url)["ETag"])
    assert response.status_code == 200 and response.json()["assessment"]["status"] == "not_checkable"
    assert stored(claim) == "not_checkable"


def test_the_mark_reviewed_bulk_action_counts_the_links_it_marks(curator, committed):
    source = Source.objects.screened_in().filter(study_design=StudyDesign.RCT).first()
    with committed():
        claim = Claim.objects.create(text="Synthetic statement on efficacy.", category=ClaimCategory.EFFICACY)
        draft = Evidence.objects.create(claim=claim, source=source, stance=Stance.SUPPORTS, finding="Synthetic.")
    assert stored(claim) == "unsupported"  # a draft counts for nothing
    action = {"action": "mark_reviewed", "_selected_action": [draft.pk]}
    with committed():
        assert curator.post(reverse("admin:evidence_evidence_changelist"), action).status_code == 302
    assert stored(claim) == computed(claim) != "unsupported"


def test_a_grade_override_changes_the_stored_certainty(supported, committed):
    claim, _ = supported
    before = ClaimStatus.objects.get(claim=claim).certainty
    with committed():
        GradeOverride.objects.create(
            claim=claim, domain=GradeDomain.IMPRECISION, judgment=GradeJudgment.VERY_SERIOUS, reason="Synthetic."
        )
    row = ClaimStatus.objects.get(claim=claim)
    assert row.certainty != before and row.certainty == reports.statements_of([claim])[0].assessment.certainty
    assert any("set by a curator" in reason for reason in row.assessment["reasons"])


def test_a_transactions_writes_are_recomputed_once_when_it_commits(supported, django_capture_on_commit_callbacks):
    claim, source = supported
    with django_capture_on_commit_callbacks() as callbacks:
        source.retraction_status = RetractionStatus.RETRACTED
        source.save()
        claim.curator_note = "Synthetic note."
        claim.save()
        GradeOverride.objects.create(
            claim=claim, domain=GradeDomain.IMPRECISION, judgment=GradeJudgment.SERIOUS, reason="Synthetic."
        )
    recomputes = [callback for callback in callbacks if isinstance(callback, claim_status._Recompute)]
    assert len(recomputes) == 1 and claim.pk in recomputes[0].claim_ids
    assert stored(claim) == "supported"  # not yet committed
    recomputes[0]()
    assert stored(claim) == computed(claim) != "supported"


def test_a_rolled_back_write_leaves_the_stored_status_alone(supported, committed):
    claim, source = supported
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        source.retraction_status = RetractionStatus.RETRACTED
        source.save()
        raise RuntimeError("the write fails")
    assert stored(claim) == computed(claim) == "supported"


def test_a_page_read_in_the_writing_transaction_sees_its_own_writes(supported, reader):
    claim, source = supported
    source.retraction_status = RetractionStatus.RETRACTED
    source.save()  # not committed: the page's read recomputes what this transaction scheduled
    assert reader.get(reverse("evidence:claims"), {"status": "supported"}).context["page"].paginator.count == (
        ClaimStatus.objects.filter(status="supported").count()
    )
    assert stored(claim) == computed(claim) != "supported"


# --- drift, the command and migrate -------------------------------------------------------------------------------


def test_the_check_reports_a_hand_edited_row_and_the_command_mends_it():
    claim = Claim.objects.filter(stored_status__status="weak").first()
    ClaimStatus.objects.filter(claim=claim).update(status="supported")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("recompute_claim_statuses", "--check", stdout=out, stderr=err)
    assert exit_code.value.code == 1
    assert f"claim {claim.pk}: stored supported, computed weak" in out.getvalue()
    assert "1 stored status differs" in err.getvalue()
    call_command("recompute_claim_statuses", stdout=(out := io.StringIO()))
    assert out.getvalue() == "37 claims recomputed: 1 changed.\n" and stored(claim) == "weak"
    call_command("recompute_claim_statuses", "--check", stdout=(out := io.StringIO()))
    assert "every stored status is as the rules give it" in out.getvalue()


def test_migrate_stores_the_claims_without_a_row_or_with_one_of_older_rules(reader):
    ClaimStatus.objects.filter(claim__category="efficacy").delete()
    ClaimStatus.objects.exclude(claim__category="efficacy").update(rules_version=claim_status.RULES_VERSION - 1)
    page = reader.get(reverse("evidence:claims")).content  # read live meanwhile, never a wrong status
    call_command("migrate", verbosity=0)
    assert ClaimStatus.objects.filter(rules_version=claim_status.RULES_VERSION).count() == 37
    assert claim_status.drift() == [] and reader.get(reverse("evidence:claims")).content == page


def test_a_row_naming_a_part_deleted_before_its_recompute_ran_is_read_live(supported, reader):
    claim, _ = supported
    row = ClaimStatus.objects.get(claim=claim)
    row.assessment["parts"] = [{**row.assessment, "part": 10**9}]  # as a commit that deleted the part leaves it
    row.save()
    response = reader.get(claim.get_absolute_url())
    assert response.status_code == 200 and response.context["statement"].parts == ()
    assert response.context["statement"].status.value == computed(claim) == "supported"


def test_a_link_moved_to_another_claim_recomputes_both(supported, committed):
    claim, source = supported
    with committed():
        other = Claim.objects.create(text="Another synthetic statement.", category=ClaimCategory.EFFICACY)
    assert stored(other) == "unsupported"
    with committed():
        link = Evidence.objects.get(claim=claim, source=source)
        link.claim = other
        link.save()
    assert (stored(claim), stored(other)) == (computed(claim), computed(other)) == ("unsupported", "supported")
