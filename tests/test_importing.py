"""Import: de-duplication, merge rules, all-or-nothing commits, round trips, and the command."""

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.db.models.signals import post_init

from evidence.bibliography.formats import EXPORT_FORMATS, parse
from evidence.bibliography.importer import Action, commit_import, plan_import, source_with_same_title
from evidence.bibliography.sources import record_from_source, records_of
from evidence.identifiers import title_key
from evidence.models import AdverseEffectReport, Author, Authorship, Evidence, Source

pytestmark = pytest.mark.django_db


def plan_of(text: str):
    return plan_import(parse(text.encode()))


def commit(text: str, user=None, provenance: str = ""):
    """Commit a file given as text (the commit plans it again, inside its transaction)."""
    return commit_import(parse(text.encode()), user, provenance)


def bib(key="New2024", title="A new study of kratom", doi="", pmid="", year="2024", author="Newman, Ann", extra=""):
    fields = [f"title = {{{title}}}", f"author = {{{author}}}", f"year = {{{year}}}"]
    fields += [f"doi = {{{doi}}}"] if doi else []
    fields += [f"pmid = {{{pmid}}}"] if pmid else []
    return f"@article{{{key},\n  " + ",\n  ".join(fields) + extra + "\n}\n"


def test_a_new_entry_is_planned_new_and_committed_as_a_draft_with_its_authors_reused(curator_user):
    hemby = Author.objects.get(family="Hemby")
    text = bib(author=f"{hemby.family}, {hemby.given} and Brandnew, Person")
    plan = plan_of(text)
    (entry,) = plan.entries
    assert entry.action == Action.NEW and plan.summary() == "1 new, 0 duplicates, 0 conflicts, 0 failed"
    assert Source.objects.filter(key="New2024").count() == 0  # planning writes nothing
    result = commit(text, curator_user, provenance="Imported from test.bib")
    (source,) = result.created
    assert source.key == "New2024" and source.curation_status == "draft" and source.created_by == curator_user
    assert [a.pk for a in source.ordered_authors][0] == hemby.pk
    assert Author.objects.filter(family="Brandnew").count() == 1
    assert source.author_names == f"{hemby}; Brandnew, Person"
    assert "Imported from test.bib" in source.provenance


def test_duplicates_are_found_by_doi_then_pmid_then_title_year_and_first_author():
    kruegel = Source.objects.with_authors().get(key="Kruegel2016")
    by_doi = plan_of(bib(title="Completely different title", doi=kruegel.doi.upper()))
    assert by_doi.entries[0].existing == kruegel
    pmid_source = Source.objects.exclude(pmid="").first()
    by_pmid = plan_of(bib(title="Other", pmid=pmid_source.pmid))
    assert by_pmid.entries[0].existing == pmid_source
    first = kruegel.ordered_authors[0]
    by_title = plan_of(bib(title=kruegel.title.upper() + " .", author=f"{first.family}, X.", year=str(kruegel.year)))
    assert by_title.entries[0].existing == kruegel
    other_year = plan_of(bib(title=kruegel.title, author=f"{first.family}, X.", year="1999"))
    assert other_year.entries[0].action == Action.NEW


def test_a_different_doi_means_a_different_work_even_with_the_same_title():
    kruegel = Source.objects.with_authors().get(key="Kruegel2016")
    first = kruegel.ordered_authors[0]
    plan = plan_of(
        bib(title=kruegel.title, author=f"{first.family}, A.", year=str(kruegel.year), doi="10.9999/erratum.1")
    )
    assert plan.entries[0].action == Action.NEW


def test_a_duplicate_fills_empty_fields_and_never_overwrites_curated_ones(curator_user):
    source = Source.objects.get(key="Kruegel2016")
    source.abstract = ""
    source.save()
    curated_title = source.title
    text = bib(title="A title that differs", doi=source.doi, extra=",\n  abstract = {The abstract we lacked.}")
    plan = plan_of(text)
    (entry,) = plan.entries
    assert entry.action == Action.CONFLICT
    assert entry.fills["abstract"] == "The abstract we lacked."
    assert entry.conflicts["title"] == (curated_title, "A title that differs")
    assert "fills abstract" in entry.reason and "differs in title" in entry.reason
    result = commit(text, curator_user)
    source.refresh_from_db()
    assert result.updated == [source] and result.created == []
    assert source.abstract == "The abstract we lacked." and source.title == curated_title


def test_duplicates_within_the_file_merge_into_the_first():
    text = bib(key="A1", doi="10.5555/same.1") + bib(key="A2", doi="10.5555/SAME.1", extra=",\n  volume = {7}")
    plan = plan_of(text)
    first, second = plan.entries
    assert (first.action, second.action) == (Action.NEW, Action.DUPLICATE)
    assert second.earlier is first and "the entry at line 1 of this file" in second.reason
    commit(text)
    assert Source.objects.get(doi="10.5555/same.1").volume == "7"


def test_failed_entries_are_reported_with_line_and_reason_and_the_rest_imports():
    text = (
        bib(key="Good1")
        + "@article{bad, title = {unterminated\n\n"
        + bib(key="NoTitle", title="")
        + bib(key="BadDoi", doi="not-a-doi")
    )
    plan = plan_of(text)
    outcomes = {(entry.file_key or entry.where): entry for entry in plan.entries}
    assert outcomes["Good1"].action == Action.NEW
    assert outcomes["NoTitle"].action == Action.FAILED and outcomes["NoTitle"].reason == "no title"
    assert outcomes["BadDoi"].action == Action.FAILED and "doi" in outcomes["BadDoi"].reason
    failed_parse = [e for e in plan.entries if e.action == Action.FAILED and not e.file_key]
    assert failed_parse and failed_parse[0].line == 6
    assert plan.failed
    commit(text)
    assert Source.objects.filter(key="Good1").exists() and not Source.objects.filter(title="").exists()


def test_a_commit_is_all_or_nothing(monkeypatch):
    text = bib(key="First1") + bib(key="Second2", title="Another new one")

    def failing_links(*args, **kwargs):
        # By now both sources and their history rows are inserted: they must go with the rest.
        assert Source.objects.filter(key__in=["First1", "Second2"]).count() == 2
        raise IntegrityError("simulated failure while linking authors")

    monkeypatch.setattr(Authorship.objects, "bulk_create", failing_links)
    before, history_before = Source.objects.count(), Source.history.count()
    with pytest.raises(IntegrityError):
        commit(text)
    assert Source.objects.count() == before and not Source.objects.filter(key="First1").exists()
    assert Source.history.count() == history_before


def test_a_file_key_is_kept_when_free_and_replaced_when_taken():
    result = commit(
        bib(key="Kruegel2016", title="A different work", doi="10.5555/other.2")
        + bib(key="bad key!", title="Other")
        + bib(key="doi:10.1/slashed", title="A third")  # a slash cannot go into the source's URL
        + bib(key="Free:2024.x+y", title="A fourth")
    )
    keys = sorted(source.key for source in result.created)
    assert keys == ["Free:2024.x+y", "Newman2024", "Newman2024a", "Newman2024b"]
    for source in result.created:
        assert source.get_absolute_url() == f"/sources/{source.key}/"


def test_committing_the_same_file_twice_adds_nothing_the_second_time():
    text = bib(key="Once1", doi="10.5555/once")
    commit(text)
    again = plan_of(text)
    assert again.entries[0].action == Action.DUPLICATE
    assert commit(text).created == []
    assert Source.objects.filter(doi="10.5555/once").count() == 1


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csljson"])
def test_export_then_import_into_an_empty_database_gives_the_same_records(fmt):
    originals = list(records_of(Source.objects.order_by("key")))
    exported = "".join(EXPORT_FORMATS[fmt].write(originals)).encode()
    Evidence.objects.all().delete()
    AdverseEffectReport.objects.all().delete()
    Source.objects.all().delete()
    result = commit_import(parse(exported))
    assert result.plan.summary() == "76 new, 0 duplicates, 0 conflicts, 0 failed"
    for original in originals:
        back = record_from_source(Source.objects.with_authors().get(key=original.key))
        provenance = back.provenance
        back.provenance = original.provenance
        assert back == original, original.key
        assert provenance.startswith(original.provenance)


def test_the_import_command_reports_each_entry_and_exits_1_on_failures(tmp_path):
    path = tmp_path / "mixed.bib"
    path.write_text(bib(key="Cmd1") + bib(key="Cmd2", title=""))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_bibliography", str(path), "--dry-run", stdout=out)
    assert exit_.value.code == 1
    text = out.getvalue()
    assert "line 1  new        Cmd1: A new study of kratom" in text
    assert "failed     Cmd2: (no title)" in text
    assert "1 new, 0 duplicates, 0 conflicts, 1 failed" in text and "Dry run: nothing was written." in text
    assert not Source.objects.filter(key="Cmd1").exists()


def test_the_import_command_writes_and_exits_0(tmp_path):
    path = tmp_path / "pubmed.nbib"
    path.write_text("PMID- 99999991\nTI  - A PubMed record.\nFAU - Doe, Jane\nDP  - 2021 Jan\n")
    out = io.StringIO()
    call_command("import_bibliography", str(path), stdout=out)
    assert "1 new, 0 duplicates, 0 conflicts, 0 failed" in out.getvalue()
    source = Source.objects.get(pmid="99999991")
    assert source.key == "Doe2021" and "Imported from pubmed.nbib (medline)." in source.provenance


def test_the_import_command_refuses_unreadable_input(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "notes.txt"
    path.write_text("just some notes")
    with pytest.raises(CommandError, match="Could not tell the format"):
        call_command("import_bibliography", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_bibliography", str(tmp_path / "missing.bib"))


def test_the_export_command_uses_the_sources_page_filters(tmp_path):
    output = tmp_path / "out.bib"
    call_command(
        "export_bibliography", "--format", "bibtex", "--q", "abuse", "--design", "animal-study", "--output", str(output)
    )
    text = output.read_text()
    assert text.count("\n@") + text.startswith("@") == 2
    assert "@article{Hemby2018," in text and "@article{Yue2018," in text
    out = io.StringIO()
    import sys

    saved, sys.stdout = sys.stdout, out
    try:
        call_command(
            "export_bibliography",
            "--format",
            "text",
            "--style",
            "vancouver",
            "--compound",
            "mitragynine",
            "--sort",
            "title",
        )
    finally:
        sys.stdout = saved
    assert out.getvalue().startswith("1. ")


def test_a_javascript_url_never_enters_the_database():
    (entry,) = plan_of(bib(key="Js1", extra=",\n  url = {javascript:alert(document.cookie)}")).entries
    assert entry.action == Action.FAILED and entry.reason.startswith("url: Enter a valid URL.")


def test_several_urls_in_one_field_keep_the_first_and_lose_none():
    (entry,) = plan_of(bib(key="Urls1", extra=",\n  url = {https://a.example/1 https://b.example/2}")).entries
    assert entry.action == Action.NEW
    assert entry.record.url == "https://a.example/1" and "Also at: https://b.example/2" in entry.record.provenance


def test_a_nul_byte_in_a_file_is_dropped_before_postgresql_sees_it():
    (entry,) = plan_import(parse(b"@article{Nul1, title = {Kra\x00tom}, year = {2020}}")).entries
    assert entry.record.title == "Kratom"
    commit_import(parse(b"@article{Nul1, title = {Kra\x00tom}, year = {2020}}"))
    assert Source.objects.get(key="Nul1").title == "Kratom"


def test_a_doi_given_as_a_link_is_read_as_the_doi():
    (entry,) = plan_of(bib(key="Link1", doi="http://doi.acm.org/10.1145/1137627.1137631")).entries
    assert entry.action == Action.NEW and entry.record.doi == "10.1145/1137627.1137631"


def test_every_source_has_its_title_key_whether_loaded_from_fixtures_or_saved():
    assert all(s.title_key == title_key(s.title) for s in Source.objects.all())
    source = Source.objects.get(key="Kruegel2016")
    source.title = "Kratom: A “New” Title — Revised"
    source.save()
    source.refresh_from_db()
    assert source.title_key == "kratom a new title revised"


def test_titles_alike_beyond_the_indexed_key_are_still_compared_whole():
    stem = "Kratom " * 40  # 280 characters: the indexed key holds the first 200
    commit(bib(key="Long2020", title=stem + "first part", year="2020", author="Anon, A."))
    plan = plan_of(bib(title=stem + "second part", year="2020", author="Anon, A."))
    assert plan.entries[0].action == Action.NEW
    same = plan_of(bib(title=(stem + "FIRST part.").upper(), year="2020", author="Anon, A."))
    assert same.entries[0].action != Action.NEW and same.entries[0].existing.key == "Long2020"


def test_planning_loads_only_the_candidates_not_every_source_of_the_year(django_assert_max_num_queries):
    Source.objects.bulk_create(
        Source(key=f"Filler{i}", title=f"Filler {i}", title_key=f"filler {i}", year=2024) for i in range(300)
    )
    loaded = []
    post_init.connect(
        lambda sender, instance, **kwargs: loaded.append(instance), sender=Source, weak=False, dispatch_uid="count"
    )
    try:
        with django_assert_max_num_queries(6):
            plan = plan_of(bib(year="2024"))
    finally:
        post_init.disconnect(sender=Source, dispatch_uid="count")
    assert plan.entries[0].action == Action.NEW
    assert len(loaded) <= 2  # the entry's own record, validated as a Source; no candidate of 2024


def test_the_admins_same_title_check_finds_a_source_by_normalised_title_and_year(django_assert_num_queries):
    commit(bib(key="Same2024", title="A synthetic survey of kratom", year="2024"))
    with django_assert_num_queries(1):
        assert source_with_same_title("A Synthetic Survey of Kratom.", 2024).key == "Same2024"
    assert source_with_same_title("A synthetic survey of kratom", 2023) is None
    assert source_with_same_title("A synthetic survey of coffee", 2024) is None
