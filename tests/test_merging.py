"""Merging duplicates (evidence/merging.py, the admin's merge page): every relation moves, links to the same
statement fold or refuse, the old key redirects for good, a stale page is refused, and "not duplicates" is
remembered by later imports and by the admin's same-title check.

The duplicate in these tests is synthetic: a second record of a real demo source, made here with no
identifiers, linked by synthetic evidence, as an import with a slip in it could have made it."""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence import prisma
from evidence.bibliography.formats import parse
from evidence.bibliography.importer import Action, ImportedFile, plan_import
from evidence.merging import RELATIONS, MergeRefused, Side, merge_sources, preview
from evidence.models import (
    AdverseEffectReport,
    Author,
    Authorship,
    Claim,
    Evidence,
    MergedSource,
    NotDuplicates,
    RiskOfBias,
    ScreeningDecision,
    Source,
)
from evidence.reports import assess_claim
from evidence.screening import commit_identified
from evidence.vocabularies import CurationStatus, Decision, ScreeningStage, ScreeningStatus, Stance

from .test_safe_curation import change_form_data

pytestmark = pytest.mark.django_db
MERGE = reverse("admin:evidence_source_merge")
CHANGELIST = reverse("admin:evidence_source_changelist")
TWIN_KEY = "SyntheticTwinForMerge"
SYNTHETIC_FINDING = "Synthetic finding written for the merge test."


def test_every_relation_to_source_is_handled_by_the_merge():
    """A relation added to Source must be listed in merging.RELATIONS (and handled there), or this fails."""
    relations = {relation.get_accessor_name() for relation in Source._meta.related_objects}
    relations |= {field.name for field in Source._meta.many_to_many}
    assert relations == set(RELATIONS)


@pytest.fixture
def original() -> Source:
    """A real demo source with evidence on several statements (and an author)."""
    sources = Source.objects.screened_in().annotate(n=Count("evidence")).filter(n__gte=2, authorships__isnull=False)
    return sources.order_by("-n", "key").first()


def make_twin(source: Source, **changes) -> Source:
    """A synthetic second record of the same work: same title, year and first author, no identifiers."""
    values = {
        "key": TWIN_KEY,
        "title": source.title,
        "year": source.year,
        "entry_type": source.entry_type,
        "study_design": source.study_design,
        "population": source.population,
        "container_title": "Synthetic Journal of Merge Tests",
        "screening_status": ScreeningStatus.INCLUDED,
        **changes,
    }
    twin = Source.objects.create(**values)
    Authorship.objects.create(source=twin, author=source.authorships.first().author, position=1)
    return twin


def link(claim: Claim, source: Source, stance: str, status=CurationStatus.REVIEWED) -> Evidence:
    return Evidence.objects.create(
        claim=claim, source=source, stance=stance, finding=SYNTHETIC_FINDING, curation_status=status
    )


@pytest.fixture
def twin(original) -> Source:
    """The twin shares one statement with the original (same stance) and has one of its own."""
    twin = make_twin(original)
    shared = original.evidence.order_by("pk").first()
    link(shared.claim, twin, shared.stance, CurationStatus.DRAFT)
    own = Claim.objects.exclude(evidence__source=original).filter(evidence__isnull=False).order_by("pk").first()
    link(own, twin, Stance.MENTIONS)
    return twin


def statuses(claims) -> dict[int, str]:
    return {claim.pk: assess_claim(claim).status for claim in Claim.objects.for_review().filter(pk__in=claims)}


def form_defaults(client: Client, one: Source, other: Source) -> dict[str, str]:
    """The merge page as a browser would submit it, defaults untouched."""
    response = client.get(MERGE, {"a": one.pk, "b": other.pk})
    assert response.status_code == 200
    left, right = response.context["left"], response.context["right"]
    data = {
        "a": left.pk,
        "b": right.pk,
        "left_version": left.version,
        "right_version": right.version,
        "keep": "left",
        "merge": "Merge",
    }
    for choice in response.context["preview"].choices:
        data[f"field_{choice.name}"] = "left" if choice.default == Side.SURVIVOR else "right"
    return data


def test_merging_keeps_every_evidence_link_and_the_claim_statuses(curator, curator_user, original, twin):
    claims = set(Evidence.objects.filter(source__in=[original, twin]).values_list("claim", flat=True))
    before = statuses(claims)
    links_before = Evidence.objects.filter(source__in=[original, twin]).count()
    all_links_before = Evidence.objects.count()
    data = form_defaults(curator, original, twin)
    assert Source.objects.get(pk=data["a"]) == original  # the included record with more evidence survives

    response = curator.post(MERGE, data)

    assert response.status_code == 302, unescape(response.content.decode())
    assert not Source.objects.filter(pk=twin.pk).exists()
    # One link folded: both were linked to the same statement with the same stance; the reviewed one stays.
    assert original.evidence.count() == links_before - 1
    assert Evidence.objects.count() == all_links_before - 1
    assert not Evidence.objects.filter(finding=SYNTHETIC_FINDING, curation_status=CurationStatus.DRAFT).exists()
    assert Evidence.objects.filter(finding=SYNTHETIC_FINDING, source=original).count() == 1
    assert statuses(claims) == before
    original.refresh_from_db()
    latest = original.history.first()
    assert latest.history_user == curator_user
    assert latest.history_change_reason == f"merged {TWIN_KEY} (#{twin.pk})"
    assert "Synthetic Journal" not in original.container_title  # the survivor's value was the default
    moved = Evidence.history.filter(source_id=original.pk, history_change_reason__startswith="merged").first()
    assert moved.history_user == curator_user
    record = MergedSource.objects.get(key=TWIN_KEY)
    assert record.survivor == original and record.merged_by == curator_user and record.old_id == twin.pk
    # The merged record's history stays readable, linked from the list of merges.
    merges = curator.get(reverse("admin:evidence_mergedsource_changelist")).content.decode()
    old_history = reverse("admin:evidence_source_history", args=[twin.pk])
    assert old_history in merges
    assert f"merged {TWIN_KEY} into {original.key}" in curator.get(old_history).content.decode()


def test_chosen_fields_reports_compounds_and_decisions_move(curator_user, original, twin):
    report = AdverseEffectReport.objects.filter(source__screening_status=ScreeningStatus.INCLUDED).first()
    moved_report = AdverseEffectReport.objects.create(
        source=twin, effect=report.effect, compound=report.compound, setting=report.setting, severity=""
    )
    decision = ScreeningDecision.objects.create(
        source=twin, stage=ScreeningStage.TITLE_ABSTRACT, decision=Decision.INCLUDE, decided_by=curator_user
    )
    twin.compounds.add(*report.compound.__class__.objects.all())
    survivor, merged = Source.objects.get(pk=original.pk), Source.objects.get(pk=twin.pk)

    summary = merge_sources(survivor, merged, {"container_title": Side.MERGED}, curator_user)

    original.refresh_from_db()
    assert original.container_title == "Synthetic Journal of Merge Tests"
    assert "container_title" in summary.taken_from_merged
    moved_report.refresh_from_db()
    assert moved_report.source == original
    decision.refresh_from_db()
    assert decision.source == original and decision.withdrawn_by == curator_user  # on record, not counted
    assert set(original.compounds.all()) == set(report.compound.__class__.objects.all())
    assert f"{TWIN_KEY} now redirects to {original.key}" in summary.message()


def test_the_chosen_author_list_and_appraisal_are_kept(curator_user, original, twin):
    RiskOfBias.objects.update_or_create(source=original, defaults={"funding": "Synthetic survivor funding."})
    RiskOfBias.objects.create(source=twin, funding="Synthetic twin funding.")
    twin_authors = list(twin.authorships.values_list("author", flat=True))
    survivor, merged = Source.objects.get(pk=original.pk), Source.objects.get(pk=twin.pk)
    shown = {choice.name for choice in preview(survivor, merged).choices}
    assert {"authors", "risk_of_bias"} <= shown

    merge_sources(survivor, merged, {"authors": Side.MERGED, "risk_of_bias": Side.MERGED}, curator_user)

    original.refresh_from_db()
    assert list(original.authorships.values_list("author", flat=True)) == twin_authors
    assert original.author_names == str(Author.objects.get(pk=twin_authors[0]))
    assert RiskOfBias.objects.get(source=original).funding == "Synthetic twin funding."
    assert RiskOfBias.objects.filter(funding="Synthetic survivor funding.").count() == 0


def test_the_old_key_redirects_page_exports_and_api(reader, curator_user, original, twin):
    earlier = make_twin(original, key="SyntheticEarlierTwin", title="Synthetic earlier twin")
    merge_sources(Source.objects.get(pk=twin.pk), earlier, {}, curator_user)
    merge_sources(Source.objects.get(pk=original.pk), Source.objects.get(pk=twin.pk), {}, curator_user)

    # A key merged into a record that was merged in turn goes straight to the last survivor: no chains.
    first_hop = reader.get(reverse("evidence:source", args=["SyntheticEarlierTwin"]))
    assert first_hop.status_code == 301 and first_hop["Location"] == original.get_absolute_url()

    page = reader.get(reverse("evidence:source", args=[TWIN_KEY]))
    assert page.status_code == 301 and page["Location"] == original.get_absolute_url()
    export = reader.get(reverse("evidence:source-export", args=[TWIN_KEY, "ris"]) + "?style=apa")
    assert export.status_code == 301
    assert export["Location"] == reverse("evidence:source-export", args=[original.key, "ris"]) + "?style=apa"
    assert reader.get(export["Location"]).status_code == 200
    api = reader.get(reverse("api:source-detail", args=[TWIN_KEY]))
    assert api.status_code == 301 and api["Location"] == reverse("api:source-detail", args=[original.key])
    assert reader.get(reverse("evidence:source", args=["NoSuchKeyAnywhere"])).status_code == 404
    assert reader.get(reverse("api:source-detail", args=["NoSuchKeyAnywhere"])).status_code == 404


def test_a_merged_key_is_never_given_out_again(curator_user, original, twin):
    merge_sources(Source.objects.get(pk=original.pk), Source.objects.get(pk=twin.pk), {}, curator_user)
    newcomer = Source(key=TWIN_KEY, title="Synthetic newcomer")
    with pytest.raises(Exception, match="was merged into another source"):
        newcomer.full_clean()


def test_a_stale_merge_page_is_refused_and_nothing_is_written(curator, original, twin):
    data = form_defaults(curator, original, twin)
    twin.curator_notes = "Edited by someone else meanwhile."
    twin.save()  # another curator saved the twin after the page was drawn
    links = Evidence.objects.count()

    response = curator.post(MERGE, data)

    assert response.status_code == 409
    text = unescape(response.content.decode())
    assert f"saved {TWIN_KEY}" in text and "Nothing was merged" in text
    assert Source.objects.filter(pk=twin.pk).exists() and Evidence.objects.count() == links
    assert not MergedSource.objects.exists()
    # The page is drawn again from the records as they are now: its versions are the current ones.
    drawn = {response.context["left"].pk: response.context["left"].version, response.context["right"].pk: None}
    drawn[response.context["right"].pk] = response.context["right"].version
    assert drawn == {original.pk: original.version, twin.pk: twin.version}


def test_different_stances_on_one_statement_refuse_the_merge(curator_user, original):
    twin = make_twin(original)
    shared = original.evidence.order_by("pk").first()
    other = Stance.CONTRADICTS if shared.stance != Stance.CONTRADICTS else Stance.SUPPORTS
    link(shared.claim, twin, other)
    with pytest.raises(MergeRefused, match="different stances"):
        merge_sources(Source.objects.get(pk=original.pk), Source.objects.get(pk=twin.pk), {}, curator_user)
    assert Source.objects.filter(pk=twin.pk).exists()
    assert twin.evidence.count() == 1


def test_the_action_needs_exactly_two_different_sources(curator, original, twin):
    def act(*ids):
        return curator.post(CHANGELIST, {"action": "merge_two", "_selected_action": list(ids)}, follow=True)

    three = Source.objects.exclude(pk__in=[original.pk, twin.pk]).first()
    assert "you selected one source" in act(original.pk).content.decode()
    assert "you selected more than two sources" in act(original.pk, twin.pk, three.pk).content.decode()
    chosen = act(original.pk, twin.pk)
    assert chosen.redirect_chain[-1][0].startswith(MERGE)
    same = curator.get(MERGE, {"a": original.pk, "b": original.pk}, follow=True)
    assert "The same source was picked twice" in same.content.decode()
    assert "Select exactly two" in curator.get(MERGE, {"a": original.pk}, follow=True).content.decode()


def test_only_curators_who_may_change_and_delete_sources_merge(reader, original, twin):
    assert reader.get(MERGE, {"a": original.pk, "b": twin.pk}).status_code == 302  # to the login page
    editor = get_user_model().objects.create_user("synthetic-editor", password="x-password-42", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_source"))
    client = Client()
    client.force_login(editor)
    assert client.get(MERGE, {"a": original.pk, "b": twin.pk}).status_code == 403
    assert client.post(MERGE, {"a": original.pk, "b": twin.pk, "merge": "Merge"}).status_code == 403
    assert Source.objects.filter(pk=twin.pk).exists()


def test_the_merge_page_shows_both_and_has_bounded_queries(curator, original, twin, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        response = curator.get(MERGE, {"a": original.pk, "b": twin.pk})
    with CaptureQueriesContext(connection) as few:
        curator.get(MERGE, {"a": original.pk, "b": twin.pk})
    for claim in Claim.objects.exclude(evidence__source=twin).order_by("pk")[:10]:
        link(claim, twin, Stance.MENTIONS)
    with CaptureQueriesContext(connection) as many:
        curator.get(MERGE, {"a": original.pk, "b": twin.pk})
    assert len(many) == len(few)  # not one query per link
    text = response.content.decode()
    assert 'name="field_container_title"' in text and 'name="field_title"' not in text  # only what differs
    assert "Synthetic Journal of Merge Tests" in text and original.key in text
    moves = dict((what, (mine, theirs)) for what, mine, theirs in response.context["preview"].moves)
    assert moves["evidence links"] == (original.evidence.count(), 2)
    assert any("the two links to statement" in line for line in response.context["preview"].folded)


def test_not_duplicates_is_remembered_by_imports_and_the_same_title_check(curator, curator_user, original):
    """Two records sharing a title, year and first author: an import of the second's record matched the first
    (the older) and listed a conflict; marked "not duplicates", it finds its own record."""
    first = make_twin(original, key="SyntheticWorkOne", title="Synthetic work sharing a title", year=2099)
    second = make_twin(original, key="SyntheticWorkTwo", title="Synthetic work sharing a title", year=2099)
    second.container_title = "Synthetic Second Journal"
    second.save()
    family = original.authorships.first().author.family
    bibtex = (
        f"@article{{x, title={{Synthetic work sharing a title}}, year={{2099}}, author={{{family}, A.}},"
        " journal={Synthetic Second Journal}}"
    ).encode()

    (entry,) = plan_import(parse(bibtex, "bibtex")).entries
    assert entry.existing == first and entry.action == Action.CONFLICT

    response = curator.post(MERGE, {"a": first.pk, "b": second.pk, "not_duplicates": "x"}, follow=True)
    assert "marked not duplicates" in response.content.decode()
    assert NotDuplicates.marked(second.pk, first.pk)

    (entry,) = plan_import(parse(bibtex, "bibtex")).entries
    assert entry.existing == second and entry.action == Action.DUPLICATE

    # Giving a source another's title and year by hand is refused, unless the two are marked.
    third = make_twin(original, key="SyntheticWorkThree", title="Synthetic third title", year=2099)
    for target, refused in ((third, True), (second, False)):
        url = reverse("admin:evidence_source_change", args=[target.pk])
        data = change_form_data(curator, url)
        data["title"] = "Synthetic work sharing a title" if target is third else "Synthetic work sharing a title."
        answer = curator.post(url, data)
        assert (answer.status_code == 200) is refused
        assert ("already has this title and year" in unescape(answer.content.decode())) is refused


def test_prisma_counts_a_merged_imported_record_as_a_duplicate_removed(curator_user):
    bibtex = (
        b"@article{a, title={Synthetic imported record for the merge test}, year={2099}, author={Synthetic, A.}}\n"
        b"@article{b, title={Synthetic imported record for the merge test, again}, year={2099},"
        b" author={Synthetic, A.}}\n"
    )
    commit_identified(parse(bibtex, "bibtex"), curator_user, "synthetic", ImportedFile.of(bibtex, "x.bib"), "Synthetic")
    one, two = Source.objects.filter(title__startswith="Synthetic imported record").order_by("pk")
    before = prisma.flow_counts(dual=False)

    merge_sources(one, two, {}, curator_user)

    after = prisma.flow_counts(dual=False)
    assert after.duplicates == before.duplicates + 1
    assert after.awaiting_screening == before.awaiting_screening - 1
    assert after.identified == before.identified


def test_an_import_of_a_merged_record_finds_its_survivor(curator_user, original):
    """An epub-year record merged into the print-year one: importing the epub record again is the survivor's
    duplicate, not a new record (its title identity, year included, matches no source any more)."""
    epub = make_twin(original, key="SyntheticEpubRecord", title="Synthetic record first seen online", year=2098)
    family = original.authorships.first().author.family
    bibtex = f"@article{{x, title={{Synthetic record first seen online}}, year={{2098}}, author={{{family}, A.}}}}"
    (entry,) = plan_import(parse(bibtex.encode(), "bibtex")).entries
    assert entry.existing == epub

    merge_sources(Source.objects.get(pk=original.pk), epub, {}, curator_user)

    (entry,) = plan_import(parse(bibtex.encode(), "bibtex")).entries
    assert entry.action != Action.NEW and entry.existing == original
