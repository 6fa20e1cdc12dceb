"""The curator's import: upload, a preview that writes nothing, then one all-or-nothing commit."""

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence.models import Source

pytestmark = pytest.mark.django_db
IMPORT = reverse("admin:evidence_source_import")
ZOTERO_BIB = b"""@article{newsource2024,
  title = {Kratom use among veterans: a survey},
  author = {Doe, Jane and M{\\"u}ller, Hans},
  journal = {Journal of Made-Up Tests},
  year = {2024},
  doi = {10.5555/kratom.veterans.2024}
}

@article{Kruegel2016again,
  title = {Synthetic and Receptor Signaling Explorations of the Mitragyna Alkaloids},
  author = {Kruegel, Andrew C.},
  year = {2016},
  doi = {10.1021/JACS.6B00360},
  abstract = {An abstract the curated record may lack.}
}

@article{broken, title = {Unterminated
"""


def upload(client, data: bytes, name="zotero.bib", fmt="auto"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data), "format": fmt})


def test_the_sources_list_links_to_the_import(curator):
    assert f'href="{IMPORT}"' in curator.get(reverse("admin:evidence_source_changelist")).content.decode()


def test_the_preview_shows_each_entry_and_writes_nothing(curator):
    before = Source.objects.count()
    response = upload(curator, ZOTERO_BIB)
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "1 new, 0 duplicates, 1 conflict, 1 failed." in html
    rows = re.findall(r'<tr class="import-(\w+)">', html)
    assert rows == ["new", "conflict", "failed"]
    assert "differs in title, authors (kept as is)" in html
    assert "same work as Kruegel2016" in html
    assert "line 17" in html and "not a well-formed entry" in html
    assert Source.objects.count() == before


def test_committing_writes_the_new_record_and_fills_the_duplicate(curator):
    kruegel = Source.objects.get(key="Kruegel2016")
    kruegel.abstract = ""
    kruegel.save()
    html = upload(curator, ZOTERO_BIB).content.decode()
    content = re.search(r'name="content" value="([^"]+)"', html).group(1)
    fmt = re.search(r'name="format" value="([^"]+)"', html).group(1)
    response = curator.post(IMPORT, {"content": content, "format": fmt, "filename": "zotero.bib"}, follow=True)
    (message,) = [str(message) for message in response.context["messages"]]
    batch = re.search(r"Batch (import-[0-9a-f]{10}): the list below\.$", message).group(1)
    assert message.startswith(
        "Imported zotero.bib: 1 new, 0 duplicates, 1 conflict, 1 failed. "
        "1 new screening candidate written, 1 existing record filled in."
    )
    # The whole import can be inspected: the list shows the batch, and the history says which import did what.
    assert list(response.context["cl"].queryset.values_list("key", flat=True)) == ["newsource2024"]
    assert Source.history.filter(history_change_reason=batch).count() == 2
    new = Source.objects.with_authors().get(doi="10.5555/kratom.veterans.2024")
    assert new.key == "newsource2024" and new.curation_status == "draft"
    assert [str(a) for a in new.ordered_authors] == ["Doe, Jane", "Müller, Hans"]
    assert "Imported from zotero.bib (bibtex) by curator." in new.provenance
    curated_title = kruegel.title
    kruegel.refresh_from_db()
    assert kruegel.abstract == "An abstract the curated record may lack."
    assert kruegel.title == curated_title  # the conflicting title in the file did not overwrite it
    # A double submit of the same commit adds nothing.
    curator.post(IMPORT, {"content": content, "format": fmt, "filename": "zotero.bib"})
    assert Source.objects.filter(doi="10.5555/kratom.veterans.2024").count() == 1


def test_ris_and_pubmed_uploads_preview_too(curator):
    ris = b"TY  - JOUR\r\nTI  - A RIS record\r\nAU  - Roe, R.\r\nPY  - 2023\r\nER  - \r\n"
    assert "1 new, 0 duplicates, 0 conflicts, 0 failed." in upload(curator, ris, "export.ris").content.decode()
    nbib = b"PMID- 12345678\nTI  - A PubMed record.\nDP  - 2022\n"
    assert "1 new, 0 duplicates, 0 conflicts, 0 failed." in upload(curator, nbib, "pubmed.nbib").content.decode()


def test_an_unreadable_upload_gets_a_clear_message(curator):
    html = unescape(upload(curator, b"just some words", "notes.txt").content.decode())
    assert "Could not tell the format from the content" in html
    tampered = curator.post(IMPORT, {"content": "!!not base64!!", "format": "auto"}, follow=True)
    assert "could not be read again" in str(list(tampered.context["messages"])[0])


def test_readers_and_non_curators_cannot_import(reader, fresh_curator, db):
    from django.contrib.auth import get_user_model
    from django.test import Client

    assert reader.get(IMPORT).status_code == 302  # to the login page
    viewer = get_user_model().objects.create_user("viewer", password="viewer-pass-123", is_staff=True)
    client = Client()
    client.force_login(viewer)
    assert client.get(IMPORT).status_code == 403
