"""Imports through the API: upload -> plan per entry -> commit by plan id, once however often it is sent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from evidence.models import BibliographyUpload, Source
from evidence.roles import ensure_curator_group

# Obviously synthetic entries, plus one that repeats a real source's DOI (a duplicate) and one without a title.
SYNTHETIC_BIBTEX = b"""
@article{Synthetic2099a,
  author = {Testperson, Alpha},
  title = {A synthetic test record about nothing},
  journal = {Journal of Test Fixtures},
  year = {2099},
}
@article{Synthetic2099b,
  author = {Testperson, Beta},
  title = {Another synthetic test record},
  journal = {Journal of Test Fixtures},
  year = {2098},
}
@article{KruegelCopy,
  title = {Synthetic and Receptor Signaling Explorations of the Mitragyna Alkaloids},
  doi = {10.1021/jacs.6b00360},
  year = {2016},
}
@article{NoTitle2099,
  author = {Testperson, Gamma},
  year = {2099},
}
"""


def upload(client: APIClient, content: bytes = SYNTHETIC_BIBTEX):
    return client.post("/api/v1/imports/", {"file": SimpleUploadedFile("synthetic.bib", content)}, format="multipart")


@pytest.fixture
def curator_api(curator_user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=curator_user)[0].key}")
    return client


@pytest.mark.django_db
def test_an_upload_is_planned_entry_by_entry_and_writes_nothing(curator_api):
    before = Source.objects.count()
    response = upload(curator_api)
    assert response.status_code == 201
    plan = response.json()
    assert plan["summary"] == {"new": 2, "duplicate": 0, "conflict": 1, "failed": 1} or plan["summary"]["new"] == 2
    actions = {entry["file_key"]: entry["action"] for entry in plan["entries"]}
    assert actions["Synthetic2099a"] == "new" and actions["NoTitle2099"] == "failed"
    assert actions["KruegelCopy"] in ("duplicate", "conflict")
    assert next(e for e in plan["entries"] if e["file_key"] == "KruegelCopy")["existing"] == "Kruegel2016"
    assert Source.objects.count() == before
    assert BibliographyUpload.objects.get(pk=plan["id"]).content_sha256 == plan["content_sha256"]


@pytest.mark.django_db
def test_a_plan_commits_once_and_a_second_commit_returns_the_first_result(curator_api, curator_user):
    plan = upload(curator_api).json()
    first = curator_api.post(plan["commit"])
    assert first.status_code == 200 and len(first.json()["created"]) == 2
    count = Source.objects.count()
    second = curator_api.post(plan["commit"])
    assert second.json() == first.json() and Source.objects.count() == count
    created = Source.objects.get(key=first.json()["created"][0])
    assert created.created_by == curator_user and created.history.first().history_user == curator_user


@pytest.mark.django_db
def test_an_upload_that_is_no_bibliography_names_the_file_field(curator_api):
    response = upload(curator_api, b"%PDF-1.4 not a bibliography")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "file"


@pytest.mark.django_db
def test_a_file_over_the_limit_gets_413(curator_api, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = upload(curator_api)
    assert response.status_code == 413 and response.json()["type"].endswith("/too-large")


@pytest.mark.django_db
def test_importing_needs_a_curator():
    assert upload(APIClient()).status_code == 401


def test_twenty_concurrent_commits_of_one_plan_create_one_set_of_rows(live_server, transactional_db):
    user = get_user_model().objects.create_user("import-curator", password="x-password-42", is_staff=True)
    user.groups.add(ensure_curator_group())
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    files = {"file": ("synthetic.bib", SYNTHETIC_BIBTEX)}
    plan = requests.post(f"{live_server.url}/api/v1/imports/", files=files, headers=headers, timeout=30).json()

    def commit(_):
        return requests.post(plan["commit"], headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(commit, range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.text for r in responses}) == 1
    assert Source.objects.filter(title__startswith="A synthetic test record").count() == 1
    assert Source.objects.filter(title="Another synthetic test record").count() == 1


@pytest.mark.django_db
def test_curators_see_the_api_uploads_in_the_admin_read_only(curator_api, curator):
    from django.urls import reverse

    planned = upload(curator_api).json()
    committed = upload(curator_api, SYNTHETIC_BIBTEX.replace(b"2099a", b"2099c")).json()
    result = curator_api.post(committed["commit"]).json()
    listing = curator.get(reverse("admin:evidence_bibliographyupload_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "planned, not committed" in html and f"{len(result['created'])} created, 0 updated" in html
    assert result["batch"] in html and planned["content_sha256"] in html
    assert curator.get(reverse("admin:evidence_bibliographyupload_add")).status_code == 403
    change = reverse("admin:evidence_bibliographyupload_change", args=[planned["id"]])
    page = curator.get(change)
    assert page.status_code == 200 and 'type="submit"' not in page.content.decode().split('id="content-main"')[1]
    assert curator.post(change, {"filename": "changed.bib"}).status_code == 403
    assert BibliographyUpload.objects.get(pk=planned["id"]).filename == "synthetic.bib"
