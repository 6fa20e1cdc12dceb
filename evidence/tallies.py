"""The figures of the home page and the adverse-effects overview, kept as tallies that each write updates, so
that a page computed from an empty cache reads a few hundred numbers instead of counting all the sources.

- **A source's share.** Each figure is a sum over sources: how many public sources have a design, a year, a
  compound; how many report an effect of a compound in an organ class (distinct sources), with their
  stated cases and each severity's reports; how many reports each group has; every source's evidence
  links. `shares()` reads what given sources add to each figure, from the data as they are now.
- **Caught by the database.** Triggers on the tables a share reads from (sources, their compounds, their
  adverse-effect reports and evidence links, and an effect's organ class or term) add the source to
  `PendingTally`, whatever wrote the row: the admin, an import's bulk insert, the API, a command, psql.
- **Folded at commit.** `fold()` takes the pending sources, subtracts each one's share as last folded
  (`SourceTally`) from the tallies, adds its share now, and keeps the new share. It runs when a write
  commits (caching.changed), after `migrate`, and from `recompute_tallies`, a chunk per transaction, the
  chunks of two folds one after the other.
- **Read exactly.** A page reads the tallies and the last folded shares of the sources still pending in
  one statement (one snapshot), and those sources' shares now: the figures are right even before the
  fold has run, or when it failed. With more than PENDING_LIMIT sources pending (in the middle of a large
  import's fold) counting everything is cheaper, and the page does (`counted_home`, `counted_harm`).
- **Checked.** `recompute_tallies --check` compares the tallies with counting and lists what differs.

docs/performance.md ("Home and the overview at any size") has the figures; docs/deployment.md the commands.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper

from . import routing
from .models import (
    AdverseEffect,
    AdverseEffectReport,
    Compound,
    Evidence,
    PendingTally,
    Source,
    SourceTally,
    Tally,
)
from .querysets import NON_HUMAN_REPORT, drafts_hidden
from .tally_models import OVERVIEW_KINDS
from .vocabularies import ReportGroup, severity_rank

type Key = tuple[str | int, ...]

CHUNK = 5000  # at most this many sources a fold takes per transaction
# Beyond this many pending sources, reading their shares costs more than counting (measured at 100,000
# sources: docs/performance.md).
PENDING_LIMIT = 2000
# Held (PostgreSQL) while folding: two commits' folds never take the same share out twice.
FOLD_LOCK = 0x7461_6C6C  # "tall"
# The visibility a public figure is kept for: screened in (PUBLIC_DRAFTS=mark), or screened in and reviewed.
INCLUDED, REVIEWED = "included", "reviewed"
EVIDENCE: Key = ("evidence",)  # every link, whoever may read its source


def visible() -> str:
    return REVIEWED if drafts_hidden() else INCLUDED


# --- a source's share --------------------------------------------------------------------------------------


@dataclass
class Share:
    """What one source adds to the figures: its public figures once for each visibility it counts in, and
    its evidence links."""

    visibilities: tuple[str, ...] = ()
    evidence: int = 0
    counts: Counter[Key] = field(default_factory=Counter)

    def figures(self) -> Counter[Key]:
        added = Counter({(visibility, *key): n for visibility in self.visibilities for key, n in self.counts.items()})
        added[EVIDENCE] += self.evidence
        return added

    def __bool__(self) -> bool:
        return bool(self.visibilities or self.evidence)

    def stored(self) -> str:
        counts = [[*key, n] for key, n in sorted(self.counts.items(), key=str)]
        return json.dumps([self.visibilities, self.evidence, counts], separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def read(cls, stored: str) -> Share:
        visibilities, evidence, counts = json.loads(stored)
        return cls(tuple(visibilities), evidence, Counter({tuple(item[:-1]): item[-1] for item in counts}))


def shares(source_ids: Sequence[int], using: str = DEFAULT_DB_ALIAS) -> dict[int, Share]:
    """Each of these sources' share now (none for a source deleted or not found)."""
    found: dict[int, Share] = {}
    sources = Source.objects.using(using).filter(pk__in=source_ids)
    reviewed = set(sources.screened_in().reviewed().values_list("pk", flat=True))
    for pk, design, year in sources.screened_in().values_list("pk", "study_design", "year"):
        own = (
            {("sources",): 1}
            | ({("design", design): 1} if design else {})
            | ({("year", year): 1} if year is not None else {})
        )
        found[pk] = Share((INCLUDED, REVIEWED) if pk in reviewed else (INCLUDED,), counts=Counter(own))
    studied = Source.compounds.through.objects.using(using).filter(source_id__in=list(found))
    for source_id, compound_id in studied.values_list("source_id", "compound_id"):
        found[source_id].counts["compound", compound_id] = 1
    for source_id, reported in _reports(list(found), using).items():
        found[source_id].counts.update(reported)
    linked = Evidence.objects.using(using).filter(source_id__in=source_ids).values("source_id").annotate(n=Count("pk"))
    for row in linked.order_by():
        found.setdefault(row["source_id"], Share()).evidence = row["n"]
    return found


def _reports(source_ids: list[int], using: str) -> dict[int, Counter[Key]]:
    """Each source's adverse-effect reports: how many in each group, and in each cell (group, organ class,
    compound) the source (once, however many reports it has there), their stated cases and how many state
    them, their severities; and each effect's term in its organ class (once)."""
    reports = AdverseEffectReport.objects.using(using).filter(source_id__in=source_ids)
    reports = reports.annotate(non_human=ExpressionWrapper(NON_HUMAN_REPORT, output_field=BooleanField()))
    rows = reports.values_list(
        "source_id", "non_human", "effect__system_organ_class", "effect__term", "compound_id", "cases", "severity"
    )
    found: dict[int, Counter[Key]] = {}
    for source_id, non_human, organ_class, term, compound_id, cases, severity in rows.order_by():
        group = ReportGroup.ANIMALS.value if non_human else ReportGroup.HUMANS.value
        cell = (group, organ_class, compound_id)
        counts = found.setdefault(source_id, Counter())
        counts.update([("reports", group), ("severity", *cell, severity_rank(severity))])
        counts[("cell", *cell)] = counts[("term", group, organ_class, term)] = 1  # once per source
        if cases is not None:
            counts[("cases", *cell)] += cases
            counts[("stated", *cell)] += 1
    return found


def encoded(key: Key) -> str:
    return json.dumps(key, separators=(",", ":"), ensure_ascii=False)


# --- the triggers that say which sources changed -------------------------------------------------------------

# Part of every trigger's name: change it with the triggers' definitions, and `migrate` replaces them.
TRIGGERS = "evidence_tally_v1"


@dataclass(frozen=True)
class Watched:
    """A table whose rows are part of a source's share: which column names the source, and which columns'
    change changes the share."""

    table: str
    source_column: str
    columns: tuple[str, ...]

    @classmethod
    def of(cls, model, source_field: str, field_names: Iterable[str]) -> Watched:
        meta = model._meta
        return cls(
            meta.db_table, meta.get_field(source_field).column, tuple(meta.get_field(f).column for f in field_names)
        )


def watched() -> list[Watched]:
    return [
        Watched.of(Source, "id", ["screening_status", "curation_status", "study_design", "year", "population"]),
        Watched.of(Source.compounds.through, "source", ["source", "compound"]),
        Watched.of(AdverseEffectReport, "source", ["source", "effect", "compound", "cases", "severity", "setting"]),
        Watched.of(Evidence, "source", ["source"]),
    ]


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    event: str  # INSERT, DELETE or UPDATE
    sources: str  # the source ids to mark pending, as SQL rows
    columns: tuple[str, ...] = ()  # an UPDATE marks them only when one of these changed

    def statements(self, vendor: str) -> list[str]:
        """SQLite has row triggers only. PostgreSQL's inserts and deletes go by statement, reading the rows
        from its transition table (a bulk insert of 100,000 rows calls the function once); its updates by
        row, and only when a watched column changed (no call at all otherwise)."""
        pending = PendingTally._meta.db_table
        if vendor == "sqlite":
            event = f"UPDATE OF {', '.join(self.columns)}" if self.columns else self.event
            when = f" WHEN {self.changed('IS NOT')}" if self.columns else ""
            mark = f"INSERT INTO {pending} (source_id) {self.sources}"
            return [f"CREATE TRIGGER {self.name} AFTER {event} ON {self.table}{when} BEGIN {mark}; END"]
        if self.columns:
            when = self.changed("IS DISTINCT FROM")
            timing = f"UPDATE OF {', '.join(self.columns)} ON {self.table} FOR EACH ROW WHEN ({when})"
        else:
            transition = "NEW TABLE AS added" if self.event == "INSERT" else "OLD TABLE AS removed"
            timing = f"{self.event} ON {self.table} REFERENCING {transition} FOR EACH STATEMENT"
        body = f"BEGIN INSERT INTO {pending} (source_id) {self.sources}; RETURN NULL; END"
        return [
            f"CREATE OR REPLACE FUNCTION {self.name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$",
            f"DROP TRIGGER IF EXISTS {self.name} ON {self.table}",
            f"CREATE TRIGGER {self.name} AFTER {timing} EXECUTE FUNCTION {self.name}()",
        ]

    def changed(self, differ: str) -> str:
        return " OR ".join(f"OLD.{column} {differ} NEW.{column}" for column in self.columns)


def triggers(vendor: str) -> list[Trigger]:
    by_statement = vendor == "postgresql"
    made = []
    for table in watched():
        name, column = f"{TRIGGERS}_{table.table}", table.source_column
        added = f"SELECT {column} FROM added" if by_statement else f"VALUES (NEW.{column})"
        removed = f"SELECT {column} FROM removed" if by_statement else f"VALUES (OLD.{column})"
        made += [
            Trigger(f"{name}_insert", table.table, "INSERT", added),
            Trigger(f"{name}_delete", table.table, "DELETE", removed),
            Trigger(f"{name}_update", table.table, "UPDATE", f"VALUES (OLD.{column}), (NEW.{column})", table.columns),
        ]
    # An effect moved to another organ class (or renamed) moves every report of it.
    effects, reports = AdverseEffect._meta.db_table, AdverseEffectReport._meta.db_table
    of_effect = f"SELECT source_id FROM {reports} WHERE effect_id = NEW.id"
    return [
        *made,
        Trigger(f"{TRIGGERS}_{effects}_update", effects, "UPDATE", of_effect, ("system_organ_class", "term")),
    ]


def trigger_names(using: str) -> list[str]:
    return [trigger.name for trigger in triggers(connections[using].vendor)]


def ensure_triggers(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Create the triggers missing (all of them after `migrate`, which drops them first) and drop those of
    older definitions: True if any was missing, when writes may have gone unnoticed and the tallies must be
    rebuilt."""
    connection = connections[using]
    wanted = {trigger.name: trigger for trigger in triggers(connection.vendor)}
    present = _present(using)
    drop_triggers(using, [name for name in present if name not in wanted])
    missing = [trigger for name, trigger in wanted.items() if name not in present]
    with connection.cursor() as cursor:
        for trigger in missing:
            for statement in trigger.statements(connection.vendor):
                cursor.execute(statement)
    return bool(missing)


def drop_triggers(using: str = DEFAULT_DB_ALIAS, names: Iterable[str] | None = None) -> None:
    """Drop these triggers (all the tallies' by default). Before `migrate` runs a migration: on SQLite, a
    migration that rebuilds a table drops it and renames a copy into place, which fails while a trigger
    names the table (the effects' reads the reports; every one writes to the pending table)."""
    connection = connections[using]
    present = _present(using)
    with connection.cursor() as cursor:
        for name in present if names is None else names:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER {name}")
            else:
                cursor.execute(f"DROP TRIGGER {name} ON {present[name]}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _present(using: str) -> dict[str, str]:
    """The tallies' triggers in the database, each with its table."""
    with connections[using].cursor() as cursor:
        if cursor.db.vendor == "sqlite":
            cursor.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", ["evidence_tally%"]
            )
        else:
            cursor.execute(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE %s", ["evidence_tally%"]
            )
        return dict(cursor.fetchall())


# --- folding the pending sources into the tallies ----------------------------------------------------------


def fold(using: str = DEFAULT_DB_ALIAS) -> int:
    """Bring the tallies up to date with the sources pending, a chunk of them per transaction, so that
    another writer's fold waits for a chunk at most, not for a large import's whole fold: how many sources
    it folded (a source marked again while it runs counts twice)."""
    taken = 0
    while True:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            _lock(cursor)
            # The sources of the oldest pending rows, every row of theirs taken as it is deleted (an import
            # marks a source once for itself and again for each of its links: taken row by row, each source
            # was folded ~7 times). A source marked by a write that commits later stays for a later chunk.
            table = PendingTally._meta.db_table
            cursor.execute(
                f"DELETE FROM {table} WHERE source_id IN (SELECT source_id FROM {table} ORDER BY id LIMIT %s) "
                "RETURNING source_id",
                [CHUNK],
            )
            source_ids = sorted({source_id for (source_id,) in cursor.fetchall()})
            if not source_ids:
                return taken
            _fold_sources(source_ids, using)
            taken += len(source_ids)


def _lock(cursor) -> None:
    """The fold's lock, until this transaction ends (PostgreSQL; SQLite's writers queue anyway, their
    transactions beginning IMMEDIATE): two chunks never take the same share out twice."""
    if cursor.db.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK])


def _fold_sources(source_ids: list[int], using: str) -> None:
    """Each source's share as last folded out of the tallies, its share now in."""
    kept = SourceTally.objects.using(using).filter(source_id__in=source_ids)
    change: Counter[Key] = Counter()
    for share in kept.values_list("share", flat=True):
        change.subtract(Share.read(share).figures())
    now = shares(source_ids, using)
    for share in now.values():
        change.update(share.figures())
    kept.delete()
    SourceTally.objects.using(using).bulk_create(
        [SourceTally(source_id=pk, share=share.stored()) for pk, share in now.items() if share]
    )
    _add_to_tallies(change, using)


def _add_to_tallies(change: Counter[Key], using: str) -> None:
    changed = {encoded(key): n for key, n in change.items() if n}
    tallies = Tally.objects.using(using)
    existing = {tally.key: tally for tally in tallies.filter(key__in=list(changed))}
    for tally in existing.values():
        tally.n += changed[tally.key]
    tallies.filter(key__in=[key for key, tally in existing.items() if tally.n == 0]).delete()
    tallies.bulk_update([tally for tally in existing.values() if tally.n], ["n"], batch_size=500)
    tallies.bulk_create([Tally(key=key, n=n) for key, n in changed.items() if key not in existing])


def rebuild(using: str = DEFAULT_DB_ALIAS) -> int:
    """The triggers in place, and every tally again from every source (after triggers were missing, or to
    mend drift): how many sources. Until it is done, pages count (every source is pending)."""
    ensure_triggers(using)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        _lock(cursor)
        for model in (Tally, SourceTally, PendingTally):
            model.objects.using(using).all().delete()
        cursor.execute(f"INSERT INTO {PendingTally._meta.db_table} (source_id) SELECT id FROM {Source._meta.db_table}")
        rebuilt = cursor.rowcount
    fold(using)
    connection = connections[using]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Every chunk rewrote the tallies and the pending rows are gone: at 100,000 sources 13 MB of dead
        # rows that each page's read scanned (+9 ms) until autovacuum came by.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Tally._meta.db_table}, {PendingTally._meta.db_table}")
    return rebuilt


def keep(using: str = DEFAULT_DB_ALIAS) -> None:
    """After `migrate`: the triggers in place, and the tallies as the data are."""
    if ensure_triggers(using):
        rebuild(using)
    else:
        fold(using)


# --- reading them -------------------------------------------------------------------------------------------


def read(kinds: Sequence[Key], using: str, limit: int | None = PENDING_LIMIT) -> Counter[Key] | None:
    """The tallies of these kinds (key prefixes) as the data are now, or None when more than `limit` sources
    are pending (counting is cheaper then)."""
    pending_table = PendingTally._meta.db_table
    if limit is not None and PendingTally.objects.using(using).values("source_id").distinct()[limit:].exists():
        return None
    prefixes = [encoded(kind)[:-1] for kind in kinds]  # '["included","design"' matches that kind's keys
    tallied = " OR ".join(["substr(key, 1, %s) = %s"] * len(prefixes))
    # One statement reads the tallies, the pending sources and their last folded shares, so they agree (a
    # fold committing between two reads would take a share out twice); on PostgreSQL the shares now are read
    # in the same snapshot too.
    sql = (
        f"SELECT key, n, NULL FROM {Tally._meta.db_table} WHERE {tallied} "
        f"UNION ALL SELECT NULL, NULL, share FROM {SourceTally._meta.db_table} "
        f"WHERE source_id IN (SELECT source_id FROM {pending_table}) "
        f"UNION ALL SELECT DISTINCT NULL, source_id, NULL FROM {pending_table}"
    )
    figures: Counter[Key] = Counter()
    pending = []
    with routing.one_snapshot(using) as cursor:
        cursor.execute(sql, [value for prefix in prefixes for value in (len(prefix), prefix)])
        for key, n, folded in cursor.fetchall():
            if key is not None:
                figures[tuple(json.loads(key))] += n
            elif folded is not None:
                figures.subtract(Share.read(folded).figures())
            else:
                pending.append(n)
        if limit is not None and len(pending) > limit:  # written meanwhile
            return None
        for share in shares(pending, using).values():
            figures.update(share.figures())
    return Counter({key: n for key, n in figures.items() if n and _of(key, kinds)})


def _of(key: Key, kinds: Sequence[Key]) -> bool:
    return any(key[: len(kind)] == kind for kind in kinds)


# --- the figures, from the tallies or counted ------------------------------------------------------------------


@dataclass(frozen=True)
class HomeCounts:
    """The home page's figures (public sources)."""

    sources: int
    evidence: int  # every link
    by_compound: dict[int, int]  # compound id: the sources studying it (a compound none studies is absent)
    designs: list[tuple[str, int]]  # most sources first, then by name
    years: list[tuple[int, int]]  # oldest first


@dataclass(frozen=True)
class HarmCounts:
    """The adverse-effects overview's figures for one group of reports (public sources)."""

    # One per organ class and compound: distinct sources, stated cases (None: no report states any) and the
    # worst severity's rank (0: none stated), by organ class then compound slug.
    cells: list[dict]
    terms: list[dict]  # the effects reported, as (organ class, term), in that order
    reports: dict[str, int]  # the reports of each group


def home_counts(using: str | None = None, limit: int | None = PENDING_LIMIT) -> HomeCounts:
    using = using or router.db_for_read(Tally)
    shown = visible()
    figures = read(
        [(shown, "sources"), (shown, "compound"), (shown, "design"), (shown, "year"), EVIDENCE], using, limit
    )
    if figures is None:
        return counted_home(using)

    def by(kind: str) -> dict:
        return {key[2]: n for key, n in figures.items() if key[:2] == (shown, kind)}

    designs, years = by("design"), by("year")
    return HomeCounts(
        figures[shown, "sources"],
        figures[EVIDENCE],
        by("compound"),
        _most_first(designs.items()),
        sorted(years.items()),
    )


def counted_home(using: str) -> HomeCounts:
    sources = Source.objects.using(using).public()
    studied = Source.compounds.through.objects.using(using).filter(source__in=sources)
    designs = sources.exclude(study_design="").values_list("study_design").annotate(n=Count("pk")).order_by()
    years = sources.exclude(year=None).values_list("year").annotate(n=Count("pk")).order_by()
    return HomeCounts(
        sources.count(),
        Evidence.objects.using(using).count(),
        dict(studied.values_list("compound_id").annotate(n=Count("pk")).order_by()),
        _most_first(designs),
        sorted(years),
    )


def _most_first(rows: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def harm_counts(group: str, using: str | None = None, limit: int | None = PENDING_LIMIT) -> HarmCounts:
    using = using or router.db_for_read(Tally)
    shown = visible()
    kinds = [(shown, "reports"), *((shown, kind, group) for kind in OVERVIEW_KINDS if kind != "reports")]
    figures = read(kinds, using, limit)
    if figures is None:
        return counted_harm(group, using)
    slugs = dict(Compound.objects.using(using).values_list("pk", "slug"))
    cells: dict[tuple, dict] = {}
    for (_, kind, *rest), n in figures.items():
        if kind in ("reports", "term"):
            continue
        organ_class, compound_id, *rank = rest[1:]
        if compound_id not in slugs:  # deleted since the tallies were read (SQLite reads no single snapshot)
            continue
        cell = cells.setdefault(
            (organ_class, compound_id),
            {
                "organ_class": organ_class,
                "compound_slug": slugs[compound_id],
                "source_count": 0,
                "case_count": None,
                "worst": 0,
            },
        )
        if kind == "cell":
            cell["source_count"] = n
        elif kind == "stated":
            cell["case_count"] = figures[shown, "cases", group, organ_class, compound_id]
        elif kind == "severity":
            cell["worst"] = max(cell["worst"], rank[0])
    terms = [{"organ_class": key[3], "term": key[4]} for key in figures if key[1] == "term"]
    reports = {choice.value: figures[shown, "reports", choice.value] for choice in ReportGroup}
    return HarmCounts(_by_cell(cells.values()), _by_term(terms), reports)


def counted_harm(group: str, using: str) -> HarmCounts:
    public = AdverseEffectReport.objects.using(using).public()
    reports = public.in_group(group)
    return HarmCounts(
        _by_cell(reports.by_organ_class_and_compound()), _by_term(reports.effect_terms()), public.group_counts()
    )


def _by_cell(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: (row["organ_class"], row["compound_slug"]))


def _by_term(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: (row["organ_class"], row["term"]))


def drift(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Where the tallies (as read, pending sources included) differ from counting, one line per figure; and
    the triggers missing (a `migrate` that failed leaves them dropped), without which they would drift."""
    present = _present(using)
    differences = [f"trigger {name} missing" for name in trigger_names(using) if name not in present]
    pairs = [("home", home_counts(using, limit=None), counted_home(using))]
    pairs += [
        (group, harm_counts(group, using, limit=None), counted_harm(group, using)) for group in ReportGroup.values
    ]
    for page, tallied, counted in pairs:
        for figure in fields(tallied):
            kept, count = getattr(tallied, figure.name), getattr(counted, figure.name)
            if kept != count:
                differences.append(f"{page} {figure.name}: tallied {kept}, counted {count}")
    return differences
