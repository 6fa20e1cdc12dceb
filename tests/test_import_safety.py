"""Issue 14's importer failures, each reproduced and now closed: limits held at the commit step, nothing
changed silently, every encoding read or named, a second commit of a file said to be one; and the log."""

from __future__ import annotations

import base64
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from evidence.bibliography.formats import UnknownFormat, parse
from evidence.bibliography.importer import (
    MAX_AUTHORS,
    Action,
    ImportedFile,
    ImportRefused,
    commit_import,
    plan_import,
    read_import,
)
from evidence.models import ImportLog, Source

pytestmark = pytest.mark.django_db
IMPORT = reverse("admin:evidence_source_import")


def synthetic_bibtex(count: int, stem: str = "Safety") -> bytes:
    return "".join(
        f"@article{{{stem}{n}, title = {{Synthetic {stem.lower()} record {n}}}, author = {{Testperson, Ann}}, "
        f"year = {{2024}}}}\n"
        for n in range(count)
    ).encode()


def commit_step(client, data: bytes, fmt: str = "bibtex", filename: str = "safety.bib"):
    """The commit step as the preview's form posts it: the file's bytes travel back as base64."""
    fields = {"content": base64.b64encode(data).decode(), "format": fmt, "filename": filename}
    response = client.post(IMPORT, fields, follow=True)
    return response, [str(message) for message in response.context["messages"]]


def preview(client, data: bytes, name: str = "file.bib", fmt: str = "auto") -> str:
    response = client.post(IMPORT, {"file": SimpleUploadedFile(name, data), "format": fmt})
    return unescape(response.content.decode())


# --- limits, where the data is written ---------------------------------------------------------------------


def test_content_over_the_size_limit_posted_straight_to_the_commit_step_writes_nothing(curator, settings):
    data = synthetic_bibtex(60)
    settings.IMPORT_MAX_BYTES = len(data) - 1  # the upload form would refuse it; the commit step did not
    before = Source.objects.count()
    _, messages = commit_step(curator, data)
    assert messages == [
        f"Nothing was imported. The file is {len(data):,} bytes; the limit is {len(data) - 1:,}. "
        "Split it into smaller files."
    ]
    assert Source.objects.count() == before and not ImportLog.objects.exists()


@override_settings(IMPORT_MAX_ENTRIES=25)
def test_a_file_over_the_entry_limit_is_refused_at_upload_and_at_commit(curator):
    data = synthetic_bibtex(26)
    assert "The file has 26 entries; the limit is 25. Split it into smaller files." in preview(curator, data)
    before = Source.objects.count()
    _, messages = commit_step(curator, data)
    assert messages == ["Nothing was imported. The file has 26 entries; the limit is 25. Split it into smaller files."]
    assert Source.objects.count() == before
    with pytest.raises(ImportRefused):
        read_import(data)  # the command reads through the same gate


def test_too_many_authors_or_an_overlong_field_fail_their_entry_at_the_commit_step(curator):
    crowd = " and ".join(f"Member{n}, A." for n in range(MAX_AUTHORS + 1))
    data = (
        f"@article{{Crowd1, title = {{A synthetic consortium paper}}, author = {{{crowd}}}, year = {{2024}}}}\n"
        f"@article{{Long1, title = {{A synthetic record}}, volume = {{{'9' * 51}}}, year = {{2024}}}}\n"
        "@article{Fine1, title = {A synthetic record that fits}, year = {2024}}\n"
    ).encode()
    _, messages = commit_step(curator, data)
    assert messages[0].startswith("Imported safety.bib: 1 new, 0 duplicates, 0 conflicts, 2 failed.")
    assert list(Source.objects.filter(key__in=["Crowd1", "Long1", "Fine1"]).values_list("key", flat=True)) == ["Fine1"]
    plan = plan_import(parse(data))
    reasons = {entry.file_key: entry.reason for entry in plan.entries}
    assert reasons["Crowd1"] == f"{MAX_AUTHORS + 1:,} authors: more than the {MAX_AUTHORS:,} a record may have"
    assert reasons["Long1"].startswith("volume: Ensure this value has at most 50 characters")


# --- a second commit of the same file ------------------------------------------------------------------------


def test_a_second_commit_of_the_same_file_says_it_was_already_imported_and_writes_nothing(curator, curator_user):
    data = synthetic_bibtex(3, "Twice")
    _, first = commit_step(curator, data, filename="twice.bib")
    assert first[0].startswith("Imported twice.bib: 3 new, 0 duplicates, 0 conflicts, 0 failed.")
    log = ImportLog.objects.get()
    assert (log.filename, log.format, log.size, log.committed_by, log.created, log.filled) == (
        "twice.bib",
        "bibtex",
        len(data),
        curator_user,
        3,
        0,
    )
    assert re.fullmatch(r"[0-9a-f]{64}", log.sha256) and log.sha256 == ImportedFile.of(data, "x").sha256
    response, second = commit_step(curator, data, filename="twice-again.bib")
    assert second == [
        f"twice-again.bib was already imported by curator on {log.committed_at:%Y-%m-%d %H:%M} UTC "
        f"(batch {log.batch}): nothing written, every entry is already in the database "
        "(0 new, 3 duplicates, 0 conflicts, 0 failed)."
    ]
    assert response.request["PATH_INFO"] == IMPORT  # back to the upload form: no batch to list
    assert ImportLog.objects.count() == 1 and Source.objects.filter(key__startswith="Twice").count() == 3


def test_the_import_command_logs_its_file_and_says_when_it_was_imported_before(tmp_path):
    import io

    from django.core.management import call_command

    path = tmp_path / "command.bib"
    path.write_bytes(synthetic_bibtex(2, "Command"))
    call_command("import_bibliography", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_bibliography", str(path), stdout=out)
    log = ImportLog.objects.get()
    assert (log.filename, log.committed_by, log.created) == ("command.bib", None, 2)
    assert "command.bib was already imported by no named user on" in out.getvalue()


def test_the_import_log_is_listed_read_only_with_a_bounded_number_of_queries(curator, django_assert_max_num_queries):
    for n in range(3):
        commit_step(curator, synthetic_bibtex(1, f"Logged{n}"), filename=f"logged{n}.bib")
    changelist = reverse("admin:evidence_importlog_changelist")
    with django_assert_max_num_queries(10):
        html = unescape(curator.get(changelist).content.decode())
    log = ImportLog.objects.first()
    more = [
        ImportLog(
            sha256=str(n) * 64,
            filename=f"more{n}.bib",
            format="ris",
            size=1,
            batch=f"import-more{n}",
            committed_by=log.committed_by,
            summary="x",
            created=0,
            filled=0,
        )
        for n in range(6)
    ]
    ImportLog.objects.bulk_create(more)
    with django_assert_max_num_queries(10):  # as many with nine rows as with three
        assert curator.get(changelist).status_code == 200
    ImportLog.objects.filter(filename__startswith="more").delete()
    assert html.count("logged") >= 3 and "1 new, 0 duplicates, 0 conflicts, 0 failed" in html
    log = ImportLog.objects.first()
    assert f'href="{reverse("admin:evidence_source_changelist")}?q={log.batch}"' in html
    assert curator.get(reverse("admin:evidence_importlog_add")).status_code == 403
    change = curator.get(reverse("admin:evidence_importlog_change", args=[log.pk]))
    assert (
        change.status_code == 200
        and 'type="submit"' not in change.content.decode().split("<form")[-1].split("</form")[0]
    )
    assert curator.post(reverse("admin:evidence_importlog_delete", args=[log.pk])).status_code == 403
    assert ImportLog.objects.count() == 3


# --- nothing changed silently ---------------------------------------------------------------------------------


def test_latex_commands_that_decoding_would_drop_are_kept_as_written_and_listed_as_changed(curator):
    title = r"\input{/etc/passwd} and \immediate\write18{rm -rf /}"
    data = f"@article{{Shell1, title = {{{title}}}, year = {{2020}}}}\n".encode()
    html = preview(curator, data)
    assert "1 new, 0 duplicates, 0 conflicts, 0 failed, 1 changed." in html
    for command in (r"\input", r"\immediate", r"\write18"):
        assert f"changed: title: unknown LaTeX command `{command}` kept as text" in html or (
            f"changed: title: LaTeX command that decoding would replace `{command}` kept as text" in html
        )
    result = commit_import(parse(data))
    assert result.created[0].title == title  # as the file has it, not "and 18rm -rf /"


def test_a_command_kept_as_text_is_listed_once_however_often_it_recurs_and_unbalanced_groups_pass():
    from evidence.bibliography.latex import decode_latex

    changes = []
    assert decode_latex(r"\acro{PDF} and \acro{CTAN} " * 3_000, changes).startswith(r"\acro{PDF} and \acro{CTAN}")
    assert changes == ["unknown LaTeX command `\\acro` kept as text"]
    changes = []
    assert decode_latex(r"\x{a}[b]{c} d \y{e", changes) == r"\x{a}[b]{c} d \ye"  # the open brace is no argument
    assert len(changes) == 2


def test_commands_that_lose_nothing_are_still_decoded_without_a_change():
    data = rb"@article{Fine2, title = {The {\TeX} book in \texttt{mono}, {\it Mitragyna}, caf\'e \ensuremath{\mu}}}"
    (entry,) = plan_import(parse(data)).entries
    assert entry.title == "The TeX book in mono, Mitragyna, café μ" and entry.changes == []


def test_a_command_of_the_files_own_keeps_its_arguments_in_an_author_name_too():
    (entry,) = plan_import(parse(rb"@article{Own1, title = {T}, author = {\surname{Doe}, Jane}}")).entries
    assert entry.record.authors[0].family == r"\surname{Doe}"
    assert entry.changes == ["author: unknown LaTeX command `\\surname` kept as text"]


@pytest.mark.parametrize("doi", ['10.1000/<>"bad doi', "10.5555/first 10.5555/second", "see 10.5555/x"])
def test_a_malformed_doi_fails_its_entry_instead_of_being_cut_short(doi):
    (entry,) = plan_import(parse(f"@article{{Doi1, title = {{T}}, doi = {{{doi}}}}}".encode())).entries
    assert entry.action == Action.FAILED and entry.reason.startswith(f"doi: {doi} is not a DOI")


def test_a_doi_given_as_a_link_is_still_read_as_the_doi():
    (entry,) = plan_import(parse(b"@article{Doi2, title = {T}, doi = {http://doi.acm.org/10.1145/1234.5678}}")).entries
    assert entry.action == Action.NEW and entry.record.doi == "10.1145/1234.5678"


def test_an_entry_cut_short_by_a_stray_brace_is_not_written_at_all(curator):
    data = (
        b"@article{Cut1,\n  title = {A synthetic record cut short}},\n  author = {Doe, Jane},\n"
        b"  journal = {Journal of Tests},\n  year = {2021}\n}\n"
        b"@article{Whole1, title = {A synthetic record read whole}, year = {2021}}\n"
    )
    plan = plan_import(parse(data))
    assert [(entry.action, entry.file_key) for entry in plan.entries] == [
        (Action.FAILED, "Cut1"),
        (Action.NEW, "Whole1"),
    ]
    assert plan.entries[0].reason.startswith("cut short by a stray `}`: the fields from line 2 on")
    commit_step(curator, data)
    assert not Source.objects.filter(title__startswith="A synthetic record cut short").exists()
    assert Source.objects.filter(key="Whole1").exists()


# --- encodings and formats -------------------------------------------------------------------------------------

ACCENTED = "@article{Enc1, title = {Synthetic caf\u00e9 study of M\u00fcller's \u03bc-opioid data}, year = {2022}}\n"


@pytest.mark.parametrize(
    ("encoding", "note"),
    [
        ("utf-16", "The file is not UTF-8; it was read as UTF-16."),  # FF FE, as Windows writes "Unicode"
        ("utf-16-be", None),
        ("utf-8-sig", None),
        ("utf-32", "The file is not UTF-8; it was read as UTF-32."),
    ],
)
def test_unicode_files_with_a_byte_order_mark_are_decoded(encoding, note):
    data = ACCENTED.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # FE FF
        note = "The file is not UTF-8; it was read as UTF-16."
    parsed = parse(data)
    assert [record.title for record in parsed.records] == ["Synthetic café study of Müller's μ-opioid data"]
    assert parsed.notes == ([note] if note else [])


@pytest.mark.parametrize(("codec", "named"), [("utf-16-le", "little-endian"), ("utf-16-be", "big-endian")])
def test_utf16_without_a_byte_order_mark_is_refused_naming_the_encoding(codec, named):
    with pytest.raises(UnknownFormat, match=f"looks like UTF-16 \\({named}\\) text without the byte-order mark"):
        parse(ACCENTED.encode(codec))


def test_a_file_whose_byte_order_mark_lies_is_refused_naming_the_encoding():
    with pytest.raises(UnknownFormat, match="starts with the byte-order mark of UTF-16 but is not valid UTF-16"):
        parse(b"\xff\xfe" + b"\x00\xd8" + "@article{x, title={T}}".encode("utf-16-le"))


def test_a_ris_file_forced_to_bibtex_says_what_it_looks_like(curator):
    ris = b"TY  - JOUR\nTI  - A synthetic RIS record\nPY  - 2023\nER  - \n"
    html = preview(curator, ris, "export.ris", fmt="bibtex")
    assert (
        "No BibTeX entry was found in the file; its content looks like RIS. "
        "Choose that format, or let it be told from the content." in html
    )
    assert "0 new" not in html
    with pytest.raises(UnknownFormat, match="No RIS entry was found in the file.$"):
        parse(b"just words", "ris")


def test_an_import_that_waited_too_long_for_the_sqlite_write_lock_is_refused_with_a_message(curator, monkeypatch):
    from django.db import OperationalError, connection

    from evidence.admin import imports

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(imports, "commit_identified", locked)
    monkeypatch.setattr(connection, "vendor", "sqlite")  # the message is SQLite's whichever database runs the test
    _, messages = commit_step(curator, synthetic_bibtex(1, "Locked"))
    assert messages == ["Nothing was imported: another import is being written. Commit again shortly."]
