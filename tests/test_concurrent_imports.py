"""Twenty curators' commits of one import at the same moment (double clicks, two tabs, retried requests),
as real HTTP requests to the live server: one set of records, one log entry, no server error."""

from __future__ import annotations

import base64
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from evidence.models import Authorship, ImportLog, Source
from evidence.roles import ensure_curator_group

COMMITS = 20
IMPORT = reverse("admin:evidence_source_import")
# Synthetic works (10.5555 is the DOI test prefix): none of them is in the demo data.
ENTRIES = [
    ("Synthetic concurrency study one", "Doeconcur, Jane and Roeconcur, Rick", "10.5555/concurrent.one"),
    ("Synthetic concurrency study two", "Doeconcur, Jane", "10.5555/concurrent.two"),
    ("Synthetic concurrency study three", "Poeconcur, Pat", "10.5555/concurrent.three"),
]


def bibtex(with_dois: bool) -> bytes:
    return "".join(
        f"@article{{Concur{number},\n  title = {{{title}}},\n  author = {{{authors}}},\n  year = {{2024}},\n"
        + (f"  doi = {{{doi}}},\n" if with_dois else "")
        + "}\n"
        for number, (title, authors, doi) in enumerate(ENTRIES, start=1)
    ).encode()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def logged_in_opener(base_url: str) -> tuple[urllib.request.OpenerDirector, str]:
    """A curator logged in through the admin's login form, and the CSRF token of the import page."""
    user = get_user_model().objects.create_user("concurrent-curator", password="concurrent-pw-42", is_staff=True)
    user.groups.add(ensure_curator_group())
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirects)
    login = base_url + reverse("admin:login")
    token = csrf_token(opener.open(login).read().decode())
    fields = {"username": user.username, "password": "concurrent-pw-42", "csrfmiddlewaretoken": token}
    with pytest.raises(urllib.error.HTTPError) as redirected:  # 302 to the admin: logged in
        opener.open(login, urllib.parse.urlencode(fields).encode())
    assert redirected.value.code == 302
    return opener, csrf_token(opener.open(base_url + IMPORT).read().decode())


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("with_dois", [True, False], ids=["with DOIs", "without DOIs"])
def test_twenty_concurrent_commits_of_one_file_write_one_set_of_records(live_server, transactional_db, with_dois):
    opener, token = logged_in_opener(live_server.url)
    data = bibtex(with_dois)
    body = urllib.parse.urlencode(
        {
            "content": base64.b64encode(data).decode(),
            "format": "bibtex",
            "filename": "concurrent.bib",
            "csrfmiddlewaretoken": token,
        }
    ).encode()
    start = threading.Barrier(COMMITS)
    statuses: list[int] = []

    def commit() -> None:
        start.wait()
        try:
            opener.open(live_server.url + IMPORT, body, timeout=60)
            statuses.append(200)
        except urllib.error.HTTPError as response:
            statuses.append(response.code)

    threads = [threading.Thread(target=commit) for _ in range(COMMITS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * COMMITS  # every commit answered with the admin's redirect, none with a 500
    sources = Source.objects.filter(title__startswith="Synthetic concurrency study")
    assert sorted(sources.values_list("key", flat=True)) == ["Concur1", "Concur2", "Concur3"]
    assert Authorship.objects.filter(source__in=sources).count() == 4
    (log,) = ImportLog.objects.all()
    assert (log.filename, log.created, log.committed_by.username) == ("concurrent.bib", 3, "concurrent-curator")
    assert Source.history.filter(history_change_reason=log.batch).count() == 3
