"""Issue 18: the home page's and the adverse-effects overview's figures are tallies kept by every write
(evidence/tallies.py). After each kind of write they agree with counting, read before the fold (sources
pending) and after it; reading them does not touch the sources, whatever their number."""

import re

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.db.models import CharField
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence import tallies
from evidence.apps import drop_tally_triggers, keep_tallies
from evidence.models import (
    AdverseEffect,
    AdverseEffectReport,
    Claim,
    Compound,
    Evidence,
    PendingTally,
    Source,
    Tally,
)
from evidence.vocabularies import CurationStatus, Population, ReportSetting, ScreeningStatus, Severity
from tests.test_match_once import copy_of_source

pytestmark = pytest.mark.django_db


def assert_tallies_agree_with_counting():
    """As read with sources pending, then as folded."""
    assert tallies.drift() == []
    tallies.fold()
    assert not PendingTally.objects.exists()
    assert tallies.drift() == []


def reporting_source() -> Source:
    """A public demo source with adverse-effect reports and compounds."""
    return Source.objects.public().filter(adverse_effect_reports__isnull=False, compounds__isnull=False).first()


def new_source(key: str, **fields) -> Source:
    defaults = {"title": f"Tally record {key}", "year": 1987, "study_design": "cohort"}
    return Source.objects.create(key=key, **(defaults | fields))


def a_report(source: Source, **fields) -> AdverseEffectReport:
    defaults = {"effect": AdverseEffect.objects.first(), "compound": Compound.objects.first(), "setting": "case-report"}
    return AdverseEffectReport.objects.create(source=source, **(defaults | fields))


def save_a_new_source():
    source = new_source("TallyNew", curation_status=CurationStatus.REVIEWED)
    source.compounds.add(*Compound.objects.all()[:2])
    a_report(source, cases=4, severity=Severity.SEVERE)


def bulk_insert_sources():
    created = Source.objects.bulk_create([new_source_unsaved(f"TallyBulk{n}", n) for n in range(5)])
    Source.compounds.through.objects.bulk_create(
        [Source.compounds.through(source=source, compound=Compound.objects.first()) for source in created]
    )


def new_source_unsaved(key: str, n: int) -> Source:
    return Source(key=key, title=f"Tally bulk {n}", year=1990 + n, study_design="case-report")


def change_design_and_year():
    source = reporting_source()
    source.study_design, source.year = "in-vitro", 1850
    source.save()


def update_many_without_signals():
    Source.objects.filter(pk__in=Source.objects.public().values("pk")[:10]).update(study_design="cross-sectional")


def exclude_at_screening():
    Source.objects.filter(pk=reporting_source().pk).update(screening_status=ScreeningStatus.EXCLUDED)


def mark_a_draft():
    source = reporting_source()
    source.curation_status = CurationStatus.DRAFT
    source.save()


def move_a_source_to_animals():
    Source.objects.filter(pk=reporting_source().pk).update(population=Population.ANIMALS)


def change_compounds():
    source = reporting_source()
    source.compounds.clear()
    other = Source.objects.public().exclude(pk=source.pk).first()
    other.compounds.set(Compound.objects.all())
    Compound.objects.last().sources.remove(*Source.objects.public()[:3])


def edit_reports():
    report = AdverseEffectReport.objects.filter(source__in=Source.objects.public()).first()
    report.cases, report.severity, report.setting = 250, Severity.FATAL, ReportSetting.ANIMAL
    report.save()
    AdverseEffectReport.objects.filter(pk__in=AdverseEffectReport.objects.values("pk")[1:4]).update(cases=None)
    AdverseEffectReport.objects.filter(pk__in=AdverseEffectReport.objects.values("pk")[4:6]).delete()
    second = a_report(reporting_source(), severity=Severity.MILD, cases=0)
    second.compound = Compound.objects.last()
    second.save()


def move_an_effect_to_another_organ_class():
    effect = AdverseEffect.objects.filter(reports__isnull=False).first()
    AdverseEffect.objects.filter(pk=effect.pk).update(system_organ_class="Cardiac disorders", term="renamed effect")


def link_and_unlink_evidence():
    claim = Claim.objects.first()
    Evidence.objects.create(claim=claim, source=new_source("TallyLinked"), stance="mentions", finding="tally")
    link = Evidence.objects.first()
    link.source = new_source("TallyMoved")
    link.save()
    Evidence.objects.filter(pk__in=Evidence.objects.values("pk")[5:8]).delete()


def delete_a_source():
    """With its reports and compounds (a source that is evidence cannot be deleted)."""
    public = Source.objects.public().filter(evidence__isnull=True, adverse_effect_reports__isnull=False)
    public.filter(compounds__isnull=False).first().delete()


def write_with_raw_sql():
    with connection.cursor() as cursor:
        cursor.execute("UPDATE evidence_source SET year = 1901 WHERE id = %s", [reporting_source().pk])


WRITES = [
    save_a_new_source,
    bulk_insert_sources,
    change_design_and_year,
    update_many_without_signals,
    exclude_at_screening,
    mark_a_draft,
    move_a_source_to_animals,
    change_compounds,
    edit_reports,
    move_an_effect_to_another_organ_class,
    link_and_unlink_evidence,
    delete_a_source,
    write_with_raw_sql,
]


@pytest.mark.parametrize("drafts", ["mark", "hide"])
@pytest.mark.parametrize("write", WRITES, ids=[write.__name__ for write in WRITES])
def test_the_tallies_agree_with_counting_after_every_kind_of_write(write, drafts):
    with override_settings(PUBLIC_DRAFTS=drafts):
        assert_tallies_agree_with_counting()
        before = dict(Tally.objects.values_list("key", "n"))
        write()
        assert_tallies_agree_with_counting()
    assert dict(Tally.objects.values_list("key", "n")) != before  # each write changes some tally


def test_the_figures_read_from_the_tallies_touch_no_source_whatever_their_number():
    """Nothing pending: the home page's and the overview's figures are two statements each, on the tallies
    (and the compounds' slugs), never on the sources, their reports or links. (PostgreSQL adds the
    snapshot's SAVEPOINT and RELEASE inside the test's transaction, a SET TRANSACTION outside one.)"""
    tallies.fold()
    for read in (tallies.home_counts, lambda: tallies.harm_counts("humans")):
        with CaptureQueriesContext(connection) as context:
            read()
        assert len(context) <= 3 + (2 if connection.vendor == "postgresql" else 0)
        assert not [query for query in context if "evidence_source" in query["sql"].replace("evidence_sourcetally", "")]


@pytest.mark.parametrize("pending", [1, 40])
def test_sources_pending_cost_the_same_few_queries_however_many(pending, django_assert_max_num_queries):
    """Before the fold: the tallies, and five reads of the pending sources' shares (and on PostgreSQL the
    snapshot's SAVEPOINT and RELEASE)."""
    tallies.fold()
    Source.objects.filter(pk__in=Source.objects.values("pk")[:pending]).update(year=1999)
    with django_assert_max_num_queries(2 + 5 + (2 if connection.vendor == "postgresql" else 0)):
        counts = tallies.home_counts()
    assert counts == tallies.counted_home("default")


def test_with_more_sources_pending_than_the_limit_the_figures_are_counted():
    bulk_insert_sources()
    assert PendingTally.objects.values("source_id").distinct().count() > 2
    assert tallies.read([tallies.EVIDENCE], "default", limit=2) is None
    with CaptureQueriesContext(connection) as context:
        counted = tallies.home_counts(limit=2), tallies.harm_counts("humans", limit=2)
    assert not [query for query in context if re.search(r"\bevidence_tally\b", query["sql"])]  # counted instead
    assert counted == (tallies.home_counts(limit=None), tallies.harm_counts("humans", limit=None))


def test_a_missing_trigger_is_made_again_and_the_tallies_rebuilt():
    """What SQLite does to a table a migration rebuilds: its triggers are gone. After `migrate`, they are
    back and the tallies count what was written without them."""
    tallies.fold()
    name = next(trigger.name for trigger in tallies.triggers(connection.vendor) if trigger.event == "UPDATE")
    table = next(trigger.table for trigger in tallies.triggers(connection.vendor) if trigger.name == name)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if connection.vendor == "postgresql" else ""))
    assert table == "evidence_source"
    Source.objects.filter(pk=reporting_source().pk).update(study_design="qualitative")
    drifted = tallies.drift()
    assert f"trigger {name} missing" in drifted
    assert [line for line in drifted if line.startswith("home designs: ")]  # unnoticed without its trigger
    assert tallies.ensure_triggers() is True
    tallies.rebuild()
    assert tallies.drift() == []
    assert tallies.ensure_triggers() is False  # all in place: nothing made


def test_recompute_tallies_reports_drift_and_mends_it(capsys):
    tallies.fold()
    call_command("recompute_tallies", "--check")
    assert "Every tally is as counting gives it." in capsys.readouterr().out
    Tally.objects.filter(key=tallies.encoded(("included", "sources"))).update(n=1)
    with pytest.raises(SystemExit):
        call_command("recompute_tallies", "--check")
    captured = capsys.readouterr()
    assert "home sources: tallied 1, counted" in captured.out and "run recompute_tallies" in captured.err
    call_command("recompute_tallies")
    call_command("recompute_tallies", "--check")


def test_recompute_tallies_makes_the_triggers_a_failed_migrate_left_dropped(capsys):
    drop_tally_triggers(sender=None, using="default", plan=[("evidence", "0024_a_migration")])
    with pytest.raises(SystemExit):
        call_command("recompute_tallies", "--check")
    assert capsys.readouterr().out.count("missing") == len(tallies.triggers(connection.vendor))
    call_command("recompute_tallies")
    call_command("recompute_tallies", "--check")
    assert len(tallies._present("default")) == len(tallies.triggers(connection.vendor))


def test_the_pages_show_the_tallies(client):
    new_source("TallyShown", year=1566, curation_status=CurationStatus.REVIEWED)
    home = client.get(reverse("evidence:home")).content.decode()
    assert '<th scope="row">1560s</th><td>1</td>' in home
    public = Source.objects.public().count()
    assert f'<dt>Sources</dt><dd><a href="{reverse("evidence:sources")}">{public}</a></dd>' in home


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_is_folded_at_its_commit():
    tallies.fold()
    with transaction.atomic():
        new_source("TallyCommitted", year=1511)
        assert PendingTally.objects.exists()
    assert not PendingTally.objects.exists()
    assert tallies.home_counts().years[0] == (1511, 1)


@pytest.mark.django_db(transaction=True)
def test_a_fold_that_fails_loses_nothing(monkeypatch):
    """The write stands, its source stays pending, and the figures read are still right."""
    tallies.fold()

    def broken(change, using):
        raise RuntimeError("the fold failed")

    monkeypatch.setattr(tallies, "_add_to_tallies", broken)
    with transaction.atomic():
        new_source("TallyUnfolded", year=1512)
    assert Source.objects.filter(key="TallyUnfolded").exists()
    assert PendingTally.objects.filter(source_id=Source.objects.get(key="TallyUnfolded").pk).exists()
    assert tallies.home_counts().years[0] == (1512, 1)
    monkeypatch.undo()
    tallies.fold()
    assert tallies.drift() == []


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_during_a_fold_is_taken_by_its_next_chunk(monkeypatch):
    """PostgreSQL: a write that commits while a fold runs is neither lost nor counted twice: a chunk takes
    only the pending rows committed before it, and the later one is taken by the next chunk."""
    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("on SQLite a writer locks the whole database: a fold cannot run beside another write")
    call_command("load_demo", verbosity=0)  # emptied by an earlier test that committed
    tallies.fold()
    source = reporting_source()
    other = connections.create_connection("default")
    read_shares, chunks = tallies.shares, []

    def commit_the_other_then_read(source_ids, using):
        if not chunks:
            other.commit()  # after the first chunk took its pending rows, before it reads their shares
        chunks.append(set(source_ids))
        return read_shares(source_ids, using)

    try:
        other.set_autocommit(False)
        with other.cursor() as writing:
            copy_of_source(writing, source.pk, "TallyConcurrent")
        with connection.cursor() as cursor:  # something for the fold to take (SQL: no fold at once on commit)
            copy_of_source(cursor, source.pk, "TallyFoldedNow")
        monkeypatch.setattr(tallies, "shares", commit_the_other_then_read)
        tallies.fold()
        monkeypatch.undo()
    finally:
        other.close()
    late, first = Source.objects.get(key="TallyConcurrent"), Source.objects.get(key="TallyFoldedNow")
    assert chunks == [{first.pk}, {late.pk}]
    assert not PendingTally.objects.exists()
    assert tallies.drift() == []


@pytest.mark.django_db(transaction=True)
def test_a_table_rebuilt_by_a_migration_meets_no_trigger_and_the_tallies_are_rebuilt():
    """SQLite alters a column by building a new table, dropping the old one and renaming the new one into
    place, which fails while a trigger names the table. Before a migrate that runs migrations the triggers
    are dropped; after it they are made again, and the tallies count what was written without them."""
    call_command("load_demo", verbosity=0)  # emptied by an earlier test that committed
    tallies.fold()
    field = AdverseEffectReport._meta.get_field("frequency")
    wider = CharField(max_length=300, blank=True)
    wider.set_attributes_from_name("frequency")
    wider.model = AdverseEffectReport
    if connection.vendor == "sqlite":
        with pytest.raises(OperationalError), connection.schema_editor() as editor:
            editor.alter_field(AdverseEffectReport, field, wider)
    drop_tally_triggers(sender=None, using="default", plan=[("evidence", "0024_a_migration")])
    with connection.schema_editor() as editor:
        editor.alter_field(AdverseEffectReport, field, wider)
        editor.alter_field(AdverseEffectReport, wider, field)
    Source.objects.filter(pk=reporting_source().pk).update(year=1700)  # no trigger to see it
    assert [line for line in tallies.drift() if line.startswith("home years: ")]
    keep_tallies(sender=None, using="default")
    assert tallies.drift() == [] and not PendingTally.objects.exists()
    assert len(tallies._present("default")) == len(tallies.triggers(connection.vendor))
