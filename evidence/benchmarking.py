"""Speed and memory on the current database, each figure beside its floor (what the bare library or the
raw SQL takes on the same data, in the same run). Timed here (run by the `benchmark` command), never in a
unit test."""

from __future__ import annotations

import gc
import json
import statistics
import time
import tracemalloc
from collections.abc import Callable

import bibtexparser
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from . import claim_status, listing, load, synthetic, tallies
from .bibliography.bibtex import write_bibtex
from .bibliography.csljson import record_to_item
from .bibliography.formats import EXPORT_FORMATS, parse
from .bibliography.importer import commit_import, plan_import
from .bibliography.sources import records_of, source_values
from .filters import find_sources
from .models import Article, Claim, ClaimStatus, Source

LIST_QUERY = "?q=kratom&design=animal-study&population=animals"
# The searches issue 18 measured: one word matching nearly every synthetic source, and two words.
SEARCHES = {"sources list: q=kratom": "?q=kratom", "sources list: q=liver damage": "?q=liver+damage"}
# URLs of each kind the load test asks for, timed cold (at least this many, or --repeat).
LOAD_MIX_URLS = 10
HEADER = f"{'measure':<52}{'median':>10}{'p95':>10}{'floor':>10}{'ratio':>8}{'queries':>9}{'peak MB':>9}{'kB':>8}"


class CorpusMismatch(Exception):
    """The database holds a synthetic corpus of another size than the one asked for."""


class Rollback(Exception):
    """Raised to undo a measured import."""


def timed(function: Callable, repeat: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries of the last run)."""
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as context:
            started = time.perf_counter()
            function()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(context)
    return *median_and_p95(times), queries


def median_and_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def raw_sql_of(client: Client, url: str) -> Callable:
    """A function that runs, through a bare cursor, the SQL statements one request of the page runs."""
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    statements = [query["sql"] for query in captured.captured_queries]

    def run() -> None:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()

    return run


def one_match_floor(query: str) -> Callable:
    """A function that runs the sources list's one-match floor for a query string: the match, raw, into a
    temporary table, and the page and the facet counts over that table, raw (rolled back)."""
    found = find_sources(QueryDict(query))

    def run() -> None:
        def match_and_count() -> None:
            with connection.cursor() as cursor:
                listing.without_jit(cursor)
                statements = [listing.statement(found, 0, listing.PAGE_SIZE, not found.searching, match_inline=False)]
                if found.searching:
                    body, params = listing.matched_sql(found)
                    cursor.execute(f"CREATE TEMPORARY TABLE {listing.MATCHED} AS {body}", params)
                    # The facets counted over the matches themselves.
                    statements.append(listing.counts_statement(found, (f"SELECT id FROM {listing.MATCHED}", [])))
                for sql, params in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()

        rolled_back(match_and_count)  # the temporary table goes with the transaction

    return run


def seconds(function: Callable) -> float:
    gc.collect()
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def peak_mb(function: Callable) -> float:
    """Peak MB of Python allocations during one more run: tracemalloc slows Python code 2-3x, so times
    are measured in runs of their own, without it."""
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def ensure_corpus(size: int) -> dict | None:
    """Make the synthetic corpus of this size (seed 1) unless it is there; what was made, or None."""
    present = Source.objects.filter(key__startswith=synthetic.SYNTHETIC_PREFIX).count()
    if present == size:
        return None
    if present:
        raise CorpusMismatch(
            f"The database holds {present:,} synthetic sources, not {size:,}: run generate_corpus --remove first."
        )
    return synthetic.generate(size, seed=1)


def format_row(row: dict) -> str:
    """A measured row as a line under HEADER."""
    return (
        f"{row['name']:<52}{row['median']:>10.1f}{row.get('p95', 0):>10.1f}{row.get('floor') or 0:>10.1f}"
        f"{row['ratio'] or 0:>8.2f}{row.get('queries', 0):>9}{row.get('peak_mb', 0):>9.1f}"
        f"{row.get('bytes', 0) / 1000:>8.0f}"
    )


def measure(repeat: int, entries: int, only: str | None = None, on_row: Callable[[dict], None] | None = None) -> dict:
    """The figures of the pages (each over `repeat` requests), of importing and exporting `entries` sources
    and of recomputing every stored claim status; `only` ("pages", "bibliographies" or "statuses") measures
    one part. `on_row` sees each row as soon as it
    is measured (a slow step shows where it is slow)."""
    benchmark = Benchmark(on_row)
    rows = benchmark.pages(repeat) if only in (None, "pages") else []
    rows += benchmark.bibliographies(entries) if only in (None, "bibliographies") else []
    rows += benchmark.statuses() if only in (None, "statuses") else []
    return {
        "database": connection.vendor,
        "sources": Source.objects.count(),
        "claims": Claim.objects.count(),
        "rows": rows,
    }


class Benchmark:
    """The measures, each handing its row to `on_row` as soon as it is taken."""

    def __init__(self, on_row: Callable[[dict], None] | None = None):
        self.on_row = on_row

    def report(self, row: dict) -> dict:
        row["ratio"] = row["median"] / row["floor"] if row.get("floor") else None
        if self.on_row:
            self.on_row(row)
        return row

    # --- pages -------------------------------------------------------------------------------------------

    def pages(self, repeat: int) -> list[dict]:
        # As a browser of this site would ask: an allowed host, over HTTPS where production requires it.
        host = next((h for h in settings.ALLOWED_HOSTS if h not in ("*", "")), "127.0.0.1").lstrip(".")
        client = Client(HTTP_HOST=host, secure=not settings.DEBUG)
        source = Source.objects.filter(evidence__isnull=False).order_by("-pk").first()
        claim = Claim.objects.filter(evidence__isnull=False).order_by("-pk").first()
        article = Article.objects.annotate(statements=Count("claims")).order_by("-statements", "pk").first()
        sources = reverse("evidence:sources")
        pages = {
            "sources list: search + two facets": sources + LIST_QUERY,
            "source detail": source.get_absolute_url(),
            "statements list": reverse("evidence:claims"),
            "claim detail": claim.get_absolute_url(),
            f"review page ({article.statements:,} statements)": article.get_absolute_url(),
            "a statement's evidence, as the review page unfolds it": reverse(
                "evidence:claim-evidence-fragment", args=[claim.pk]
            ),
            "adverse-effects overview": reverse("evidence:adverse-effects"),
            "evidence map (one article)": reverse("evidence:evidence-map") + f"?article={article.slug}",
            "evidence map (unfiltered)": reverse("evidence:evidence-map"),
            "home": reverse("evidence:home"),
        }
        # The API's endpoint for the same data as a page, measured beside it: its floor is the page's time.
        api = {
            "sources list: search + two facets": reverse("api:source-list") + LIST_QUERY,
            "source detail": reverse("api:source-detail", args=[source.key]),
            "statements list": reverse("api:claim-list"),
            "claim detail": reverse("api:claim-detail", args=[claim.pk]),
            f"review page ({article.statements:,} statements)": reverse("api:article-detail", args=[article.slug]),
            "adverse-effects overview": reverse("api:adverse-effect-matrix"),
        }
        # Each page twice: with a cold cache (cleared before each request: what a page costs after every write),
        # then warm (what readers get until the next write). A sources list's cold floor is its one-match
        # floor: the match run once, raw, then the facet counts, the count and the page over it, raw. The review
        # page's floor is its own SQL run raw (no ORM, no Python, no template).
        rows = []
        for name, url in pages.items():
            page = self.cold_page_row(client, name, url, repeat)
            rows.append(page)
            if name in api:
                rows.append(
                    self.page_row(
                        client, f"  API {api[name].split('?')[0]}", api[name], repeat, page["median"], cold=True
                    )
                )
        rows += [self.cold_page_row(client, name, sources + query, repeat) for name, query in SEARCHES.items()]
        searches = {name: sources + query for name, query in SEARCHES.items()}
        for name, url in (pages | searches).items():
            rows.append(self.page_row(client, f"warm cache: {name}", url, repeat))
        return rows + self.load_mix_rows(client, max(repeat, LOAD_MIX_URLS))

    def load_mix_rows(self, client: Client, per_kind: int) -> list[dict]:
        """What the load test's first minute costs, kind by kind: `per_kind` of its URLs (load.sample_urls),
        each requested once after the cache was emptied, so each is computed (the figures shared by many
        pages, such as a filter form's choices, only by the first)."""
        rows = []
        for kind, urls in load.sample_urls().items():
            if not urls:  # an empty database: no statement has evidence, say
                continue
            cache.clear()
            chosen = urls[:per_kind]
            times = []
            for url in chosen:
                started = time.perf_counter()
                self.fetch(client, url)
                times.append((time.perf_counter() - started) * 1000)
            median, p95 = median_and_p95(times)
            name = f"load-test URLs, cold: {kind} ({len(chosen)} of {len(urls)})"
            rows.append(self.report({"name": name, "median": median, "p95": p95}))
        return rows

    def cold_page_row(self, client: Client, name: str, url: str, repeat: int) -> dict:
        if url.partition("?")[0] == reverse("evidence:sources"):
            floor = timed(one_match_floor(url.partition("?")[2]), repeat)[0]
            return self.page_row(client, name, url, repeat, floor, cold=True)
        return self.page_row(client, name, url, repeat, raw_floor=name.startswith("review page"), cold=True)

    def page_row(
        self,
        client: Client,
        name: str,
        url: str,
        repeat: int,
        floor: float | None = None,
        raw_floor: bool = False,
        cold: bool = False,
    ) -> dict:
        """One page (or API endpoint) timed over `repeat` requests, `cold`: the cache emptied before each; its
        floor given, or its own SQL run raw; and its size."""
        size = len(client.get(url).content)  # also warms the lexicon, the connection, the cache
        if cold:
            median, p95, queries = timed(lambda: (cache.clear(), self.fetch(client, url)), repeat)
        else:
            median, p95, queries = timed(lambda: self.fetch(client, url), repeat)
        if raw_floor:
            cache.clear()
            floor = timed(raw_sql_of(client, url), repeat)[0]
        return self.report(
            {"name": name, "median": median, "p95": p95, "queries": queries, "floor": floor, "bytes": size}
        )

    @staticmethod
    def fetch(client: Client, url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    # --- bibliographies ------------------------------------------------------------------------------------

    def bibliographies(self, entries: int) -> list[dict]:
        chosen = Source.objects.filter(key__startswith=synthetic.SYNTHETIC_PREFIX).order_by("key")[:entries]
        if not chosen.exists():
            chosen = Source.objects.order_by("key")[:entries]
        chosen = Source.objects.filter(pk__in=list(chosen.values_list("pk", flat=True))).order_by("key")
        records = list(records_of(chosen))
        for number, record in enumerate(records):  # new keys and no identifiers, so the import writes them all
            record.key, record.doi, record.pmid, record.pmcid = f"BENCH{number:06d}", "", "", ""
            record.title = f"{record.title} (benchmark copy {number})"
        bibtex_text = "".join(write_bibtex(records))
        data = bibtex_text.encode()
        n = f"{len(records):,}"

        bare_parse = seconds(lambda: bibtexparser.parse_string(bibtex_text, parse_stack=[])) * 1000
        bare_insert = seconds(lambda: rolled_back(lambda: Source.objects.bulk_create(bare_sources(records)))) * 1000

        def dry_run():
            plan_import(parse(data))

        def commit():
            # With what its commit runs (an on_commit callback, never reached in a rolled-back transaction):
            # folding the new sources into the home page's and the overview's tallies.
            rolled_back(lambda: (commit_import(parse(data)), tallies.fold()))

        rows = [
            self.measured(f"import {n} BibTeX entries, dry run", dry_run, bare_parse),
            self.measured(
                f"import {n} BibTeX entries, commit",
                commit,
                bare_parse + bare_insert,
                floor_name="bare parse + bulk insert",
            ),
        ]

        library = bibtexparser.parse_string(bibtex_text, parse_stack=[])
        bare_write = seconds(lambda: bibtexparser.write_string(library, unparse_stack=[])) * 1000
        dumps = seconds(lambda: json.dumps([record_to_item(r) for r in records])) * 1000
        rows.append(
            self.measured(
                f"write {n} records as BibTeX (LaTeX-escaped)", lambda: "".join(write_bibtex(records)), bare_write
            )
        )
        floors = {"bibtex": None, "csljson": dumps, "ris": None, "csv": None}
        for fmt, floor in floors.items():
            rows.append(
                self.measured(
                    f"export {n} sources as {fmt} (from the database)",
                    lambda fmt=fmt: sum(map(len, EXPORT_FORMATS[fmt].write(records_of(chosen)))),
                    floor,
                )
            )
        everything = Source.objects.order_by("key")
        rows.append(
            self.measured(
                f"export all {everything.count():,} sources as BibTeX, streamed",
                lambda: sum(map(len, EXPORT_FORMATS["bibtex"].write(records_of(everything)))),
            )
        )
        return rows

    def measured(self, name: str, function: Callable, floor: float | None = None, floor_name: str = "") -> dict:
        """One run timed, one more for its memory; the row reported at once."""
        row = {"name": name, "median": seconds(function) * 1000, "floor": floor, "peak_mb": peak_mb(function)}
        if floor_name:
            row["floor_name"] = floor_name
        return self.report(row)

    # --- stored claim statuses ------------------------------------------------------------------------------

    def statuses(self) -> list[dict]:
        """Recomputing every claim's stored status after a change of the rules (every row rewritten, then rolled
        back), against the same assessment with nothing written (the drift check)."""

        def after_new_rules() -> None:
            ClaimStatus.objects.update(rules_version=0)
            claim_status.recompute_outdated()

        floor = seconds(claim_status.drift) * 1000
        name = f"recompute all {Claim.objects.count():,} claims' stored statuses"
        return [
            self.measured(name, lambda: rolled_back(after_new_rules), floor, floor_name="assess all, nothing written")
        ]


def rolled_back(function: Callable) -> None:
    """Run a write and undo it, so that every measured import starts from the same database."""
    try:
        with transaction.atomic():
            function()
            raise Rollback
    except Rollback:
        pass


def bare_sources(records) -> list[Source]:
    """The rows an import of the records inserts, with nothing else done: the insert's floor."""
    return [Source(key=record.key, **source_values(record)) for record in records]
