"""Roles and their reach, CSRF, login rate-limiting, lost updates refused, and the audit history."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from evidence.models import Claim, Evidence, Source

pytestmark = pytest.mark.django_db


def test_the_curator_group_comes_from_a_migration_with_every_evidence_permission_and_no_user_one():
    group = Group.objects.get(name="Curator")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {
        "add_source",
        "change_claim",
        "delete_evidence",
        "view_historicalsource",
        "change_adverseeffectreport",
    } <= codenames
    assert not group.permissions.filter(content_type__app_label="auth").exists()
    assert Permission.objects.filter(content_type__app_label="evidence").count() == len(codenames)


def test_a_reader_cannot_write(reader):
    source = Source.objects.get(key="Kruegel2016")
    for url in [reverse("admin:evidence_source_add"), reverse("admin:evidence_source_change", args=[source.pk])]:
        response = reader.post(url, {"title": "hijacked"})
        assert response.status_code == 302 and "/login/" in response["Location"]
    source.refresh_from_db()
    assert source.title != "hijacked"
    assert reader.post(reverse("evidence:sources"), {"q": "x"}).status_code == 405  # public pages are read-only


def test_a_curator_cannot_manage_users_or_groups(curator):
    assert curator.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert curator.get(reverse("admin:auth_group_changelist")).status_code == 403
    response = curator.post(
        reverse("admin:auth_user_add"), {"username": "sneaky", "password1": "x-Pass-12345", "password2": "x-Pass-12345"}
    )
    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="sneaky").exists()


def test_csrf_is_enforced(curator_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator_user)
    source = Source.objects.get(key="Kruegel2016")
    response = client.post(reverse("admin:evidence_source_change", args=[source.pk]), {"title": "no token"})
    assert response.status_code == 403
    source.refresh_from_db()
    assert source.title != "no token"


def test_logins_are_rate_limited():
    client = Client()
    for _ in range(4):
        response = client.post(reverse("admin:login"), {"username": "curator", "password": "wrong"})
        assert response.status_code == 200
    locked = client.post(reverse("admin:login"), {"username": "curator", "password": "wrong"})
    assert locked.status_code == 429
    from tests.conftest import CURATOR_PASSWORD

    # Locked out even with the right password, until the cool-off ends.
    assert client.post(reverse("admin:login"), {"username": "curator", "password": CURATOR_PASSWORD}).status_code == 429


def change_form_data(client, url):
    """The admin change form as a browser would submit it, untouched."""
    response = client.get(url)
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)
    for formset in response.context.get("inline_admin_formsets", ()):  # a revert's page has none
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = str(management[name].value())
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None and value is not False:
                    data[f"{inline_form.prefix}-{name}"] = (
                        [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)
                    )
    return data


def test_a_stale_form_is_refused_and_says_what_changed(curator, curator_user):
    claim = Claim.objects.filter(evidence__isnull=False).first()
    url = reverse("admin:evidence_claim_change", args=[claim.pk])
    first = change_form_data(curator, url)
    second = dict(first)  # another curator opened the same page at the same time

    first["curator_note"] = "First curator's note."
    response = curator.post(url, first)
    assert response.status_code == 302

    second["curator_note"] = "Second curator's note."
    response = curator.post(url, second)
    assert response.status_code == 200
    text = unescape(response.content.decode())
    assert re.search(
        r"curator saved this record at \d{4}-\d\d-\d\d \d\d:\d\d UTC while you were editing it "
        r"\(version \d+ → \d+\); they changed: curator_note\.",
        text,
    )
    assert "Nothing of yours was saved: reload the page" in text
    claim.refresh_from_db()
    assert claim.curator_note == "First curator's note."


def test_a_fresh_form_saves_and_bumps_the_version(curator):
    source = Source.objects.get(key="Kruegel2016")
    url = reverse("admin:evidence_source_change", args=[source.pk])
    data = change_form_data(curator, url)
    data["curator_notes"] = "Checked against the PDF."
    assert curator.post(url, data).status_code == 302
    updated = Source.objects.get(pk=source.pk)
    assert updated.curator_notes == "Checked against the PDF." and updated.version == source.version + 1


def test_every_change_is_in_the_history_with_who_and_what(curator, curator_user):
    source = Source.objects.get(key="Kruegel2016")
    url = reverse("admin:evidence_source_change", args=[source.pk])
    data = change_form_data(curator, url)
    data["curator_notes"] = "First note."
    curator.post(url, data)
    data = change_form_data(curator, url)
    data["curator_notes"] = "Second note."
    curator.post(url, data)
    newest, previous = source.history.all()[:2]
    assert newest.history_user == curator_user and newest.history_type == "~"
    assert [change.field for change in newest.diff_against(previous).changes] == ["curator_notes"]
    history_page = curator.get(reverse("admin:evidence_source_history", args=[source.pk]))
    assert history_page.status_code == 200 and "Second note." in unescape(history_page.content.decode())
    # Reverting: the admin's form for an old version, saved, restores its values.
    revert_url = reverse("admin:evidence_source_simple_history", args=[source.pk, previous.history_id])
    assert curator.get(revert_url).status_code == 200


def test_evidence_and_adverse_effect_reports_have_history_too():
    evidence = Evidence.objects.first()
    evidence.finding = "Reworded."
    evidence.save()
    assert evidence.history.first().finding == "Reworded."
    report = (
        evidence.source.adverse_effect_reports.first()
        or Source.objects.exclude(adverse_effect_reports=None).first().adverse_effect_reports.first()
    )
    report.notes = "Checked."
    report.save()
    assert report.history.first().notes == "Checked."


def test_drafts_are_marked_by_default_and_hidden_when_set(reader, settings):
    Source.objects.filter(key="Tatum2018").update(curation_status="draft")
    listed = reader.get(reverse("evidence:sources") + "?q=Tatum").content.decode()
    assert '<span class="tag">draft</span>' in listed
    settings.PUBLIC_DRAFTS = "hide"
    assert "Tatum2018" not in reader.get(reverse("evidence:sources") + "?q=Tatum").content.decode()
    assert reader.get(reverse("evidence:source", args=["Tatum2018"])).status_code == 404
    assert reader.get(reverse("evidence:source-export", args=["Tatum2018", "bibtex"])).status_code == 404
    exported = b"".join(reader.get(reverse("evidence:sources-export", args=["bibtex"])).streaming_content).decode()
    assert "Tatum2018" not in exported and "Hemby2018" in exported


def test_a_draft_evidence_link_is_marked_and_not_counted(reader):
    claim = Claim.objects.filter(evidence__isnull=False, checkworthy=True).first()
    for link in Evidence.objects.filter(claim=claim):  # saved as the admin saves them (an update() sends no signal)
        link.curation_status = "draft"
        link.save()
    html = unescape(reader.get(claim.get_absolute_url()).content.decode())
    assert "draft link: not counted until reviewed" in html
    assert "Status: ? unsupported" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_double_submitted_add_form_creates_one_source(curator):
    data = {
        "key": "",
        "entry_type": "article",
        "title": "A brand-new kratom survey",
        "year": "2025",
        "curation_status": "draft",
        "retraction_status": "none",
        "authorships-TOTAL_FORMS": "0",
        "authorships-INITIAL_FORMS": "0",
        "risk_of_bias-TOTAL_FORMS": "0",
        "risk_of_bias-INITIAL_FORMS": "0",
        "adverse_effect_reports-TOTAL_FORMS": "0",
        "adverse_effect_reports-INITIAL_FORMS": "0",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
    }
    first = curator.post(reverse("admin:evidence_source_add"), data)
    assert first.status_code == 302, first.context["adminform"].form.errors if first.context else first
    second = curator.post(reverse("admin:evidence_source_add"), data)
    assert second.status_code == 200
    assert "already has this title and year: edit it instead of adding a second record." in unescape(
        second.content.decode()
    )
    assert Source.objects.filter(title="A brand-new kratom survey").count() == 1
