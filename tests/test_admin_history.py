"""The admin's history: a revert says what it put back, and every bulk action is recorded with its curator."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from evidence.articles import create_article
from evidence.models import AdverseEffectReport, Evidence, Source
from tests.test_safe_curation import change_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited_twice():
    source = Source.objects.get(key="Kruegel2016")
    source.curator_notes = "First note."
    source.save()
    source.curator_notes, source.pages = "Second note.", "1-2"
    source.save()
    return source


def test_a_revert_is_saved_as_the_next_version_and_its_history_lists_what_it_put_back(
    curator, curator_user, edited_twice
):
    old = edited_twice.history.all()[1]
    url = reverse("admin:evidence_source_simple_history", args=[edited_twice.pk, old.history_id])
    response = curator.post(url, change_form_data(curator, url))
    assert response.status_code == 302
    source = Source.objects.get(pk=edited_twice.pk)
    assert (source.curator_notes, source.pages, source.version) == ("First note.", old.pages, 4)
    newest, previous = source.history.all()[:2]
    assert newest.history_user == curator_user
    assert newest.history_change_reason == f"reverted to version {old.version}: curator_notes, pages"
    assert sorted(change.field for change in newest.diff_against(previous).changes) == ["curator_notes", "pages"]
    assert LogEntry.objects.latest("pk").get_change_message() == "Changed Curator notes and Pages."
    history_page = curator.get(reverse("admin:evidence_source_history", args=[source.pk])).content.decode()
    assert "reverted to version 2: curator_notes, pages" in history_page


def test_a_revert_over_an_edit_made_meanwhile_is_refused(curator, edited_twice):
    old = edited_twice.history.all()[1]
    url = reverse("admin:evidence_source_simple_history", args=[edited_twice.pk, old.history_id])
    data = change_form_data(curator, url)
    edited_twice.curator_notes = "Third note, saved while the revert page was open."
    edited_twice.save()
    response = curator.post(url, data)
    assert response.status_code == 200 and "while you were editing it" in response.content.decode()
    assert Source.objects.get(pk=edited_twice.pk).curator_notes.startswith("Third note")


def post_action(client, changelist: str, action: str, records) -> None:
    data = {"action": action, "_selected_action": [str(record.pk) for record in records]}
    if action == "delete_selected":
        data["post"] = "yes"  # the confirmation page's answer
    response = client.post(reverse(f"admin:evidence_{changelist}_changelist"), data)
    assert response.status_code == 302


def test_mark_reviewed_on_evidence_records_the_curator(curator, curator_user):
    links = list(Evidence.objects.order_by("pk")[:2])
    Evidence.objects.filter(pk__in=[link.pk for link in links]).update(curation_status="draft")
    post_action(curator, "evidence", "mark_reviewed", links)
    for link in Evidence.objects.filter(pk__in=[link.pk for link in links]):
        latest = link.history.first()
        assert (latest.curation_status, latest.history_user) == ("reviewed", curator_user)
        assert latest.history_change_reason == "marked reviewed (bulk action)"


@pytest.fixture
def records_to_delete():
    article, _ = create_article("Synthetic deletion article", "Synthetic one is here. Synthetic two is there.")
    claims = list(article.claims.order_by("start"))
    source = Source.objects.create(key="SyntheticDeleted2001", title="Synthetic record to delete")
    evidence = Evidence.objects.create(claim=claims[0], source=Source.objects.get(key="Kruegel2016"), stance="mentions")
    report = AdverseEffectReport.objects.order_by("pk").first()
    return {"source": source, "claim": claims[1], "evidence": evidence, "adverseeffectreport": report}


@pytest.mark.parametrize("changelist", ["source", "claim", "evidence", "adverseeffectreport"])
def test_deleting_in_bulk_records_who_deleted(curator, curator_user, records_to_delete, changelist):
    record = records_to_delete[changelist]
    post_action(curator, changelist, "delete_selected", [record])
    assert not type(record).objects.filter(pk=record.pk).exists()
    deleted = type(record).history.filter(id=record.pk).latest("history_date")
    assert (deleted.history_type, deleted.history_user) == ("-", curator_user)


def test_the_download_actions_change_nothing_so_write_no_history(curator):
    sources = list(Source.objects.order_by("key")[:2])  # Adkins2011 first
    before = Source.history.count()
    for action in ["export_bibtex", "export_ris", "export_csljson", "export_csv", "export_text"]:
        response = curator.post(
            reverse("admin:evidence_source_changelist"),
            {"action": action, "_selected_action": [str(source.pk) for source in sources]},
        )
        assert response.status_code == 200 and "Adkins" in b"".join(response).decode(), action
    assert Source.history.count() == before


def test_every_bulk_action_of_the_admin_is_one_of_those_tested(curator):
    tested = {"delete_selected", "mark_reviewed", "export_bibtex", "export_ris", "export_csljson", "export_csv"}
    tested.add("merge_two")  # its history with the curator: tests/test_merging.py
    request = curator.get(reverse("admin:index")).wsgi_request
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label == "evidence":
            assert set(model_admin.get_actions(request)) <= tested | {"export_text"}, model


def test_authors_reordered_by_their_numbers_without_javascript_are_saved_in_that_order(curator):
    source = Source.objects.get(key="Kruegel2016")
    before = [a.family for a in source.ordered_authors]
    url = reverse("admin:evidence_source_change", args=[source.pk])
    data = change_form_data(curator, url)
    # The first and last authors swap places: each row alone would find its new position taken.
    last = len(before)
    data.update({"authorships-0-position": str(last), f"authorships-{last - 1}-position": "1"})
    response = curator.post(url, data)
    assert response.status_code == 302
    after = [a.family for a in Source.objects.with_authors().get(pk=source.pk).ordered_authors]
    assert after == [before[-1], *before[1:-1], before[0]]


def test_two_authors_given_the_same_number_is_a_form_error(curator):
    source = Source.objects.get(key="Kruegel2016")
    url = reverse("admin:evidence_source_change", args=[source.pk])
    data = change_form_data(curator, url)
    data["authorships-1-position"] = "1"
    page = curator.post(url, data).content.decode()
    assert "Please correct the duplicate data for position" in page
    assert [a.position for a in source.authorships.order_by("position")][:2] == [1, 2]
