"""Adding a record by DOI or PMID: the real HTTP client against a local server that answers as doi.org
(CSL JSON by content negotiation) and PubMed efetch (MEDLINE) do, with real records from
../shared/data/realworld; then the same client when that server is down, slow, or knows no such record."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from evidence import lookup
from evidence.models import Identification, Source
from evidence.vocabularies import ScreeningStatus

pytestmark = pytest.mark.django_db
REALWORLD = Path(settings.SHARED_DATA_DIR) / "realworld"
CSL_ITEMS = json.loads((REALWORLD / "csl-json/dhimmel-rephetio-manuscript__manual-references-freeze.json").read_text())
CROSSREF = {item["DOI"].lower(): item for item in CSL_ITEMS if item.get("DOI")}
MEDLINE = {
    re.search(r"^PMID- (\d+)", block, re.M).group(1): block
    for block in (REALWORLD / "medline/asreview-citation-file-formatting___baseline_pubmed.ris")
    .read_text()
    .split("\n\n")
    if block.strip().startswith("PMID-")
}
A_DOI = "10.1001/archneur.61.8.1254"  # Mirsattari et al. 2004, Archives of Neurology (in the CSL file)
A_PMID = next(iter(MEDLINE))
PAGE = reverse("admin:evidence_add_by_identifier")


class Answers(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urllib.parse.urlsplit(self.path)
        Answers.seen.append({"path": self.path, "agent": self.headers["User-Agent"], "accept": self.headers["Accept"]})
        if url.path.startswith("/slow/"):
            time.sleep(2)
        if url.path.startswith(("/doi/", "/slow/")):
            doi = urllib.parse.unquote(url.path.split("/", 2)[2]).lower()
            if doi not in CROSSREF or lookup.CSL_JSON not in (self.headers["Accept"] or ""):
                return self.answer(404, b"Resource not found.", "text/plain")
            return self.answer(200, json.dumps(CROSSREF[doi]).encode(), lookup.CSL_JSON)
        if url.path == "/efetch":
            pmid = urllib.parse.parse_qs(url.query)["id"][0]
            return self.answer(200, MEDLINE.get(pmid, "").encode(), "text/plain")  # efetch: empty for unknown ids
        return self.answer(404, b"", "text/plain")

    def answer(self, status: int, body: bytes, content_type: str):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:  # the client gave up waiting (the timeout test)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def services(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.DOI_RESOLVER_URL = f"{base}/doi/"
    settings.PUBMED_EFETCH_URL = f"{base}/efetch"
    settings.LOOKUP_CONTACT = "synthetic-contact@example.org"
    settings.LOOKUP_TIMEOUT_SECONDS = 1
    Answers.seen = []
    yield base
    server.shutdown()
    server.server_close()


@pytest.fixture
def offline(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.DOI_RESOLVER_URL = f"http://127.0.0.1:{port}/doi/"
    settings.PUBMED_EFETCH_URL = f"http://127.0.0.1:{port}/efetch"


def add(client, typed: str):
    """Look up, then confirm what the page shows."""
    preview = client.post(PAGE, {"identifier": typed})
    assert preview.status_code == 200, preview.content.decode()
    content = re.search(r'name="content" value="([^"]+)"', preview.content.decode()).group(1)
    return preview, client.post(PAGE, {"identifier": typed, "content": content})


def test_adding_by_pmid_fetches_medline_and_makes_a_candidate(curator, services):
    preview, added = add(curator, f"PMID: {A_PMID}")
    title = re.search(r"^TI  - (.+)$", MEDLINE[A_PMID], re.M).group(1).strip()
    assert title in preview.content.decode() and "Add as a screening candidate" in preview.content.decode()
    assert added.status_code == 302
    source = Source.objects.get(pmid=A_PMID)
    assert source.screening_status == ScreeningStatus.CANDIDATE
    assert source.title.startswith(title)
    assert f"?stage=title-abstract&source={source.pk}" in added["Location"]
    identification = Identification.objects.get()
    assert (identification.database, identification.records, identification.added) == ("PubMed", 1, 1)
    request = Answers.seen[0]
    assert f"id={A_PMID}" in request["path"] and "rettype=medline" in request["path"]
    assert "synthetic-contact@example.org" in request["agent"]
    assert len(Answers.seen) == 1  # confirming reads the answer the preview showed, not the service again


def test_adding_by_doi_negotiates_csl_json(curator, services):
    _, added = add(curator, f"https://doi.org/{A_DOI.upper()}")
    assert added.status_code == 302
    source = Source.objects.get(doi=A_DOI)
    assert source.title == CROSSREF[A_DOI]["title"]
    assert [a.family for a in source.ordered_authors] == ["Mirsattari", "Sharpe", "Young"]
    assert source.screening_status == ScreeningStatus.CANDIDATE
    assert Answers.seen[0]["accept"] == lookup.CSL_JSON
    assert Identification.objects.get().database == "Crossref"


def test_a_record_already_held_is_not_added_twice(curator, services):
    first_preview, _ = add(curator, A_PMID)
    content = re.search(r'name="content" value="([^"]+)"', first_preview.content.decode()).group(1)
    before = Source.objects.count()
    preview = curator.post(PAGE, {"identifier": A_PMID}).content.decode()
    held = Source.objects.get(pmid=A_PMID)
    assert "Already held" in preview and held.key in preview and 'name="content"' not in preview
    again = curator.post(PAGE, {"identifier": A_PMID, "content": content})  # a confirmation sent twice
    assert again["Location"] == reverse("admin:evidence_source_change", args=[held.pk])
    assert Source.objects.count() == before and Identification.objects.count() == 1


def test_an_unknown_identifier_says_so(curator, services):
    for typed, message in (
        ("10.5555/synthetic.no-such-record", "Crossref knows no record with DOI 10.5555/synthetic.no-such-record"),
        ("999999999", "PubMed knows no record with PMID 999999999"),
    ):
        response = curator.post(PAGE, {"identifier": typed})
        assert response.status_code == 400 and message in response.content.decode()
    assert not Source.objects.filter(screening_status=ScreeningStatus.CANDIDATE).exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type a DOI"),
        ("kratom", "kratom is neither a PubMed ID nor a DOI"),
        ("10.12/too-short-prefix", "is neither a PubMed ID nor a DOI"),
        ("0123", "is not a PubMed ID"),
        ("1234567890", "is not a PubMed ID"),
    ],
)
def test_a_malformed_identifier_is_refused_before_any_request(curator, services, typed, message):
    response = curator.post(PAGE, {"identifier": typed})
    assert response.status_code == 400 and message in response.content.decode()
    assert Answers.seen == []


def test_offline_gives_a_clear_message_and_writes_nothing(curator, offline):
    before = Source.objects.count()
    for typed in (A_PMID, A_DOI):
        response = curator.post(PAGE, {"identifier": typed})
        assert response.status_code == 400
        assert (
            "Could not reach 127.0.0.1" in response.content.decode() and "try again later" in response.content.decode()
        )
    assert Source.objects.count() == before and not Identification.objects.exists()


def test_a_slow_service_times_out(services, settings):
    settings.DOI_RESOLVER_URL = f"{services}/slow/"
    with pytest.raises(lookup.LookupFailed, match="Could not reach"):
        lookup.look_up(A_DOI)


def test_a_forged_confirmation_is_refused(curator, services):
    response = curator.post(PAGE, {"identifier": A_PMID, "content": "not base64 at all!"})
    assert response.status_code == 400 and "could not be read back" in response.content.decode()
    assert not Source.objects.filter(pmid=A_PMID).exists()
