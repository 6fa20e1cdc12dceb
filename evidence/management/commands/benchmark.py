"""Speed and memory on the current database, each figure beside its floor (what the bare library or the
raw SQL takes on the same data, in the same run). Timed here, never in a unit test."""
import gc
import json
import statistics
import time
import tracemalloc
from collections.abc import Callable

import bibtexparser
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence import synthetic
from evidence.bibliography.bibtex import write_bibtex
from evidence.bibliography.csljson import record_to_item
from evidence.bibliography.formats import EXPORT_FORMATS, parse
from evidence.bibliography.sources import records_of
from evidence.importing import commit_import, plan_import
from evidence.models import Article, Claim, Source

LIST_QUERY = "?q=kratom&design=animal-study&population=animals"
HEADER = f"{'measure':<52}{'median':>10}{'p95':>10}{'floor':>10}{'ratio':>8}{'queries':>9}{'peak MB':>9}"


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
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], queries


def peak(function: Callable) -> tuple[float, float]:
    """(seconds, peak MB of Python allocations) of one run."""
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    function()
    seconds = time.perf_counter() - started
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, top / 1e6


class Command(BaseCommand):
    help = "Measure pages, import and export on the current database against their floors; --json for JSON."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="requests per page")
        parser.add_argument("--entries", type=int, default=10_000, help="entries to import and export")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, repeat: int, entries: int, as_json: bool, **options):
        if not Source.objects.exists():
            raise CommandError("The database is empty: run load_demo and generate_corpus --sources N first.")
        self.progress = not as_json
        if self.progress:
            self.stdout.write(f"{connection.vendor}: {Source.objects.count():,} sources, {Claim.objects.count():,} claims")
            self.stdout.write(HEADER)
        rows = self.pages(repeat) + self.bibliographies(entries)
        figures = {
            "database": connection.vendor,
            "sources": Source.objects.count(),
            "claims": Claim.objects.count(),
            "rows": rows,
        }
        if as_json:
            self.stdout.write(json.dumps(figures, indent=1))
            return
        self.stdout.write("Times in ms; ratio = median / floor.")

    def report(self, row: dict) -> dict:
        """Print a measured row as soon as it is measured (a slow step shows where it is slow)."""
        if self.progress:
            self.stdout.write(
                f"{row['name']:<52}{row['median']:>10.1f}{row.get('p95', 0):>10.1f}{row.get('floor') or 0:>10.1f}"
                f"{(row['median'] / row['floor']) if row.get('floor') else 0:>8.2f}{row.get('queries', 0):>9}"
                f"{row.get('peak_mb', 0):>9.1f}"
            )
            self.stdout.flush()
        return row

    # --- pages -------------------------------------------------------------------------------------------

    def pages(self, repeat: int) -> list[dict]:
        # As a browser of this site would ask: an allowed host, over HTTPS where production requires it.
        host = next((h for h in settings.ALLOWED_HOSTS if h not in ("*", "")), "127.0.0.1").lstrip(".")
        client = Client(HTTP_HOST=host, secure=not settings.DEBUG)
        source = Source.objects.filter(evidence__isnull=False).order_by("-pk").first()
        claim = Claim.objects.filter(evidence__isnull=False).order_by("-pk").first()
        article = max(Article.objects.all(), key=lambda a: a.claims.count())
        pages = {
            "sources list: search + two facets": reverse("evidence:sources") + LIST_QUERY,
            "source detail": source.get_absolute_url(),
            "claim detail": claim.get_absolute_url(),
            f"review page ({article.claims.count():,} statements)": article.get_absolute_url(),
            "adverse-effects overview": reverse("evidence:adverse-effects"),
            "evidence map (one article)": reverse("evidence:evidence-map") + f"?article={article.slug}",
            "home": reverse("evidence:home"),
        }
        floors = {
            "sources list: search + two facets": self.list_floor,
            f"review page ({article.claims.count():,} statements)": lambda: self.review_floor(article),
        }
        rows = []
        for name, url in pages.items():
            client.get(url)  # warm caches
            median, p95, queries = timed(lambda: self.fetch(client, url), repeat)
            floor = timed(floors[name], repeat)[0] if name in floors else None
            rows.append(self.report({"name": name, "median": median, "p95": p95, "queries": queries, "floor": floor}))
        return rows

    @staticmethod
    def fetch(client: Client, url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def list_floor(self) -> None:
        """The raw SQL the list page cannot do without: the count and the first page of matching rows."""
        from evidence.filters import find_sources
        from django.http import QueryDict

        results = find_sources(QueryDict(LIST_QUERY[1:])).results
        sql, params = results.values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) counted", params)
            cursor.fetchall()
            page_sql, page_params = results.values("pk", "key", "title", "year")[:25].query.sql_with_params()
            cursor.execute(page_sql, page_params)
            cursor.fetchall()

    @staticmethod
    def review_floor(article: Article) -> None:
        """The raw SQL of the review page: the article, its claims, their evidence with sources."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM evidence_article WHERE id = %s", [article.pk])
            cursor.fetchall()
            cursor.execute("SELECT * FROM evidence_claim WHERE article_id = %s ORDER BY start", [article.pk])
            cursor.fetchall()
            cursor.execute(
                "SELECT e.*, s.* FROM evidence_evidence e JOIN evidence_source s ON s.id = e.source_id "
                "JOIN evidence_claim c ON c.id = e.claim_id WHERE c.article_id = %s",
                [article.pk],
            )
            cursor.fetchall()

    # --- bibliographies ------------------------------------------------------------------------------------

    def bibliographies(self, entries: int) -> list[dict]:
        sources = Source.objects.filter(key__startswith=synthetic.SYNTHETIC_PREFIX).order_by("key")[:entries]
        if not sources.exists():
            sources = Source.objects.order_by("key")[:entries]
        records = list(records_of(Source.objects.filter(pk__in=list(sources.values_list("pk", flat=True))).order_by("key")))
        for number, record in enumerate(records):  # new keys and no identifiers, so the import writes them all
            record.key, record.doi, record.pmid, record.pmcid = f"BENCH{number:06d}", "", "", ""
            record.title = f"{record.title} (benchmark copy {number})"
        bibtex_text = "".join(write_bibtex(records))
        data = bibtex_text.encode()
        rows = []

        bare_parse = peak(lambda: bibtexparser.parse_string(bibtex_text, parse_stack=[]))[0] * 1000
        dry = peak(lambda: plan_import(parse(data)))
        rows.append(self.report({"name": f"import {len(records):,} BibTeX entries, dry run", "median": dry[0] * 1000,
                                 "floor": bare_parse, "peak_mb": dry[1]}))

        def commit():
            try:
                with transaction.atomic():
                    commit_import(plan_import(parse(data)))
                    raise Rollback
            except Rollback:
                pass

        written = peak(commit)
        rows.append(self.report({"name": f"import {len(records):,} BibTeX entries, commit", "median": written[0] * 1000,
                                 "floor": bare_parse, "peak_mb": written[1]}))

        library = bibtexparser.parse_string(bibtex_text, parse_stack=[])
        bare_write = peak(lambda: bibtexparser.write_string(library, unparse_stack=[]))[0] * 1000
        dumps = peak(lambda: json.dumps([record_to_item(r) for r in records]))[0] * 1000
        chosen = Source.objects.filter(pk__in=list(sources.values_list("pk", flat=True))).order_by("key")
        floors = {"bibtex": bare_write, "csljson": dumps, "ris": None, "csv": None}
        for fmt, floor in floors.items():
            seconds, top = peak(lambda fmt=fmt: sum(len(chunk) for chunk in EXPORT_FORMATS[fmt].write(records_of(chosen))))
            rows.append(self.report({"name": f"export {len(records):,} sources as {fmt}", "median": seconds * 1000,
                                     "floor": floor, "peak_mb": top}))
        everything = peak(lambda: sum(len(c) for c in EXPORT_FORMATS["bibtex"].write(records_of(Source.objects.order_by("key")))))
        rows.append(self.report({"name": f"export all {Source.objects.count():,} sources as bibtex (streamed)",
                                 "median": everything[0] * 1000, "peak_mb": everything[1]}))
        return rows
