"""Public pages: thin views that hand a queryset to a template."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from . import caching, claim_status, filters, findings, health, listing, overviews, reports, tallies, wording
from .bibliography import embedded, styles
from .bibliography.downloads import bibliography_download
from .bibliography.formats import STYLED_FORMATS
from .bibliography.formatted import format_references
from .bibliography.sources import record_from_source
from .merging import resolve_merged_key
from .models import Article, Claim, Compound, Evidence, Source
from .query import fallback, matching, same, spelling
from .support import Status, summarise
from .vocabularies import ReportGroup, Stance

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def read_only(view):
    """GET and HEAD only, anything else a 405 naming them in Allow. The CSRF check is left out because it
    would answer a PUT or DELETE 403 before the method is looked at; a page that writes nothing needs none."""
    return csrf_exempt(require_safe(view))


def merged_key_redirect(request: HttpRequest, key: str, name: str, *args) -> HttpResponsePermanentRedirect:
    """A merged record's citation key answers for good with its survivor's page (query string kept); any
    other unknown key is a 404."""
    survivor = resolve_merged_key(key)
    if survivor is None:
        raise Http404("No source has this key.")
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(reverse(name, args=[survivor.key, *args]) + (f"?{query}" if query else ""))


def anonymous_page(name: str):
    """A page as anonymous readers get it, kept whole per data version and full URL (scheme and host too:
    pages print absolute links); signed-in users and everything caching.key_for names bypass it."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            key = caching.key_for(request, f"page:{name}", request.build_absolute_uri())
            from_cache, page = caching.kept_or_computed(key, lambda: view(request, *args, **kwargs), keepable)
            if from_cache:
                content, content_type = page
                return HttpResponse(content, content_type=content_type)
            return page

        return wrapped

    return decorate


def keepable(response: HttpResponse) -> tuple[bytes, str] | None:
    """What the cache keeps of a page: a whole 200 (not an error, a redirect or a stream)."""
    return (
        (response.content, response["Content-Type"]) if response.status_code == 200 and not response.streaming else None
    )


LATEST_SOURCES = 8
LATEST_FIELDS = ("key", "title", "year", "authors_truncated")  # what the home page lists (cached: no abstracts)
HOME_ARTICLES = 5
MAP_STATEMENTS = 60  # columns of a page of the evidence map; more is not a picture any more
MAP_SOURCES = 50  # rows of a page of the evidence map

REPORT_FORMATS = {
    "md": (reports.report_as_markdown, "text/markdown; charset=utf-8"),
    "csv": (reports.report_as_csv, "text/csv; charset=utf-8"),
    "json": (reports.report_as_json, "application/json"),
}


@read_only
def home(request: HttpRequest) -> HttpResponse:
    # Counted once per data version: the figures grow with the data, the page does not.
    return render(request, "evidence/home.html", caching.cached(request, "home", (), home_figures))


def home_figures() -> dict:
    counts = tallies.home_counts()  # the same few reads at any number of sources
    # The newest few articles: each one's flag summary assesses all its statements from their evidence.
    articles = list(Article.objects.order_by("-created_at", "title")[:HOME_ARTICLES])
    compounds = list(Compound.objects.all())
    for compound in compounds:
        compound.source_count = counts.by_compound.get(compound.pk, 0)
    latest = Source.objects.public().reviewed().with_authors().order_by("-updated_at", "key")
    return {
        "counts": {"sources": counts.sources, "claims": Claim.objects.count(), "evidence": counts.evidence},
        "compounds": compounds,
        "designs": counts.designs,
        "years": overviews.decades(counts.years),
        "reports": [overviews.ArticleGlance.of(report) for report in reports.article_reports(articles)],
        "more_articles": Article.objects.count() - len(articles),
        "latest": list(latest.only(*LATEST_FIELDS)[:LATEST_SOURCES]),
    }


def article_report_for(request: HttpRequest, slug: str) -> reports.ArticleReport:
    """The article's flags, for downloads: every statement with all its links."""
    article = get_object_or_404(Article, slug=slug)
    report = reports.build_report(article, Claim.objects.for_review().filter(article=article), counts_drafts(request))
    return matching.with_candidates(report)


def counts_drafts(request: HttpRequest) -> bool:
    """`?drafts=include` also counts evidence links not reviewed yet."""
    return request.GET.get("drafts") == "include"


@read_only
@anonymous_page("article-review")
def article_review(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    # Statuses from every link, but no link objects: each statement's evidence is its own page (or fragment).
    (report,) = reports.article_reports([article], counts_drafts(request))
    report = matching.with_candidates(report)  # the unsupported statements' candidates, counted on their lines
    context = {
        "report": report,
        "article": report.article,
        "segments": reports.text_segments(report.article.text, report.statements),
        "formats": REPORT_FORMATS,
        "statuses": {status.value: status for status in Status},
        "drafts": "?drafts=include" if counts_drafts(request) else "",
    }
    return render(request, "evidence/article_review.html", context)


@read_only
@anonymous_page("statement-evidence")
def statement_evidence(request: HttpRequest, pk: int, fragment: bool = False) -> HttpResponse:
    """One statement's reasons, GRADE domains and strongest links, as the review page unfolds them: a page of
    its own (the review page's link without JavaScript) or, as `fragment`, only the part its script puts in
    place. Three queries whatever the article's length (stored status; eight with drafts counted); evidence
    matching adds its own for an unsupported one."""
    claim = get_object_or_404(Claim.objects.select_related("article").with_numbers(), pk=pk)
    links = Evidence.objects.filter(claim=claim)
    (statement,) = reports.statements_shown([claim], links, counts_drafts(request), reports.REVIEW_LINKS_SHOWN)
    (statement,) = matching.with_candidates(reports.ArticleReport(claim.article, [statement])).statements
    context = {"statement": statement, "article": claim.article, "drafts": counts_drafts(request)}
    template = "evidence/_statement_evidence.html" if fragment else "evidence/statement_evidence.html"
    return render(request, template, context)


@read_only
def article_report(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    if fmt not in REPORT_FORMATS:
        raise Http404(f"No report format {fmt!r}: use md, csv or json.")
    render_report, content_type = REPORT_FORMATS[fmt]
    response = HttpResponse(render_report(article_report_for(request, slug)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{slug}-flags.{fmt}"'
    return response


@read_only
def article_findings(request: HttpRequest, slug: str) -> HttpResponse:
    report = article_report_for(request, slug)
    context = {
        "article": report.article,
        "rows": findings.lettered(findings.rows_of(report.statements)),
        "formats": FINDINGS_FORMATS,
    }
    return render(request, "evidence/article_findings.html", context)


FINDINGS_FORMATS = {"csv": "text/csv; charset=utf-8", "md": "text/markdown; charset=utf-8", "docx": DOCX}


@read_only
def article_findings_download(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    if fmt not in FINDINGS_FORMATS:
        raise Http404(f"No Summary of Findings format {fmt!r}: use csv, md or docx.")
    report = article_report_for(request, slug)
    rows, title = findings.rows_of(report.statements), report.article.title
    if fmt == "docx":
        flagged = [
            (f"Statement {s.number} · {s.status_label}", s.claim.text, reports.reasons_of(s)) for s in report.flagged
        ]
        content = findings.findings_as_docx(title, rows, flagged)
    else:
        content = findings.findings_as_csv(rows) if fmt == "csv" else findings.findings_as_markdown(title, rows)
    response = HttpResponse(content, content_type=FINDINGS_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{slug}-summary-of-findings.{fmt}"'
    return response


@read_only
@anonymous_page("source-detail")
def source_detail(request: HttpRequest, key: str) -> HttpResponse:
    sources = Source.objects.public().with_authors().prefetch_related("compounds").select_related("risk_of_bias")
    source = sources.filter(key=key).first()
    if source is None:
        return merged_key_redirect(request, key, "evidence:source")
    record = record_from_source(source)
    page_url = request.build_absolute_uri(source.get_absolute_url())
    context = {
        "source": source,
        "citation_tags": embedded.highwire_tags(record, page_url),
        "json_ld": embedded.json_ld(record, page_url),
        "cite_as": caching.by_content("cite-as", (asdict(record),), lambda: cite_as(record)),
        "links": claim_status.linked_statements(source.evidence.all()),
        "appraisal": getattr(source, "risk_of_bias", None),
        "harms": source.adverse_effect_reports.select_related("effect", "compound").order_by("effect__term"),
    }
    return render(request, "evidence/source_detail.html", context)


def cite_as(record) -> list[tuple[str, str]]:
    """The record formatted in the common styles, with their names (citeproc-py: ~13 ms a style)."""
    return [(label, format_references([record], style, "html")[0]) for style, label in styles.common()]


SOURCES_PER_PAGE = listing.PAGE_SIZE


class ListedIds(Sequence):
    """The ids of a search's results, for the paginator: the count and the asked page come from the listing's
    one statement; another page (the last, when a stale link asks for page 99) is read when sliced."""

    def __init__(self, request: HttpRequest, found: filters.SourceSearch, first: listing.Listing):
        self.request, self.found, self.first = request, found, first

    def __len__(self) -> int:
        return self.first.counts.total

    def __getitem__(self, index):
        start = index.start or 0
        got = (
            self.first
            if start == self.first.offset
            else listing.listing(self.request, self.found, start, SOURCES_PER_PAGE)
        )
        return got.page_ids[: index.stop - start]


def asked_page(request: HttpRequest) -> int:
    """The page number asked for as Paginator.get_page reads it (anything not a number is page 1); out of
    range numbers are left to the paginator."""
    try:
        return int(request.GET.get("page", 1))
    except ValueError:
        return 1


@read_only
@anonymous_page("source-list")
def source_list(request: HttpRequest) -> HttpResponse:
    found = filters.find_sources(request.GET)
    # Compounds are named by slug in the URL: one read serves the facets and the filter chips.
    compound_names = dict(Compound.objects.values_list("slug", "name"))
    offset = max(asked_page(request) - 1, 0) * SOURCES_PER_PAGE
    listed = listing.listing(request, found, offset, SOURCES_PER_PAGE) if found.valid else listing.EMPTY
    facets = filters.facet_values(found.data, listed.counts.facets, compound_names) if found.valid else {}
    page = Paginator(ListedIds(request, found, listed), SOURCES_PER_PAGE).get_page(request.GET.get("page"))
    # Fewer than a page match every word: the sources matching some of them follow.
    short = page.number == 1 and page.paginator.count < SOURCES_PER_PAGE
    some = fallback.some_words(found, SOURCES_PER_PAGE, every_word=list(page)) if short else []
    # Authors and compounds for the sources listed only.
    rows = Source.objects.with_authors().prefetch_related("compounds").in_bulk([*page, *(s.pk for s in some)])
    context = {
        "filterset": found.filterset,
        "page": page,
        "rows": [rows[pk] for pk in page],
        "some_rows": [rows[source.pk] for source in some],
        "correction": found.correction,
        "search_instead": spelling.search_instead_url(found.data, found.correction) if found.correction else "",
        "matched": found.understood.searched_stems,
        "facets": [(found.filterset.filters[name].label, name, values) for name, values in facets.items()],
        "active": filters.active_filters(found.data, facets, compound_names),
        "kept_facets": [(name, value) for name in filters.FACETS for value in request.GET.getlist(name)],
        "errors": found.errors,
        "sort": found.sort,
        "sorts": {key: label for key, label in filters.SORTS.items() if key != "relevance" or found.searching},
        "export_query": filters.without(found.data, "page")[1:],
    }
    return render(request, "evidence/source_list.html", context, status=200 if found.valid else 400)


CLAIMS_PER_PAGE = 50


@read_only
@anonymous_page("claim-list")
def claim_list(request: HttpRequest) -> HttpResponse:
    filterset = filters.ClaimFilter(request.GET, queryset=Claim.objects.all())
    page = Paginator([], CLAIMS_PER_PAGE).get_page(1)
    if filterset.is_valid():
        # Filtered (by the stored status too) and paginated in the database: only this page's claims are read,
        # and not their links: the list shows how many there are, which the stored status keeps.
        page = Paginator(filterset.qs.for_summary(), CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = claim_status.statements(page.object_list)
    context = {
        "filterset": filterset,
        "errors": filters.error_messages(filterset),
        "page": page,
        "status_counts": summarise(statement.status for statement in page.object_list),
        "statuses": list(Status),
    }
    return render(request, "evidence/claim_list.html", context, status=200 if filterset.is_valid() else 400)


@read_only
@anonymous_page("claim-detail")
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.for_review().prefetch_related("compounds"), pk=pk)
    (statement,) = claim_status.statements_of([claim])
    if statement.status is Status.UNSUPPORTED:
        statement = matching.with_candidates(reports.ArticleReport(claim.article, [statement])).statements[0]
    context = {
        "claim": claim,
        "statement": statement,
        "same": same.same_statements(claim) if statement.status is Status.UNSUPPORTED else [],
        "can_copy": request.user.has_perm("evidence.add_evidence"),
        "by_stance": [
            (label, [link for link in statement.evidence if link.stance == stance]) for stance, label in Stance.choices
        ],
        "place": reports.place_in_text(claim.article.text, claim.start, claim.end) if claim.start is not None else None,
    }
    return render(request, "evidence/claim_detail.html", context)


@require_POST
@permission_required("evidence.add_evidence", raise_exception=True)
def copy_links(request: HttpRequest, pk: int, original: int) -> HttpResponse:
    """A curator reuses the evidence of the same statement in another article: copied as drafts."""
    target = get_object_or_404(Claim, pk=pk)
    source_claim = get_object_or_404(Claim.objects.prefetch_related("evidence"), pk=original)
    copied = same.copy_links_as_drafts(source_claim, target, request.user)
    messages.success(request, f"Copied {wording.count(copied, 'evidence link')} as drafts: review them to count them.")
    return redirect(target)


@read_only
def adverse_effects(request: HttpRequest) -> HttpResponse:
    group = request.GET.get("reported_in", ReportGroup.HUMANS)
    error = "" if group in ReportGroup.values else f"There is no group called “{group}”: human reports are shown."
    group = group if not error else ReportGroup.HUMANS
    figures = caching.cached(request, "adverse-effects", (group,), lambda: harm_figures(group))
    return render(request, "evidence/adverse_effects.html", figures | {"error": error}, status=400 if error else 200)


def harm_figures(group: str) -> dict:
    compounds = dict(Compound.objects.values_list("slug", "name"))
    counts = tallies.harm_counts(group)
    matrix, columns = overviews.harm_overview(counts, compounds, reverse("evidence:sources"), group)
    return {
        "matrix": matrix,
        "columns": columns,
        "chart": overviews.harm_chart(matrix, columns),
        "group": ReportGroup(group),
        "groups": [(choice, counts.reports[choice.value]) for choice in ReportGroup],
    }


@read_only
@anonymous_page("evidence-map")
def evidence_map(request: HttpRequest) -> HttpResponse:
    filterset = filters.ClaimFilter(request.GET, queryset=Claim.objects.filter(checkworthy=True))
    statements = Paginator([], MAP_STATEMENTS).get_page(1)
    if filterset.is_valid():
        statements = map_statements(filterset, request.GET.get("page"))
    columns, rows = overviews.evidence_map(statements.object_list, map_links(statements.object_list))
    # The sources down are paged too: 60 statements of 25 links each are 1,500 rows.
    sources = Paginator(rows, MAP_SOURCES).get_page(request.GET.get("sources"))
    context = {
        "filterset": filterset,
        "errors": filters.error_messages(filterset),
        "columns": columns,
        "statements": with_page_links(request, statements, "page", reset="sources"),
        "sources": with_page_links(request, sources, "sources"),
        "stances": Stance.choices,
    }
    return render(request, "evidence/evidence_map.html", context, status=200 if filterset.is_valid() else 400)


def map_statements(filterset: filters.ClaimFilter, number: str | None):
    """One page of the statements the filters (the stored status among them) select, with their stored
    statuses: paginated in the database."""
    page = Paginator(filterset.qs.for_summary(), MAP_STATEMENTS).get_page(number)
    page.object_list = claim_status.statements(page.object_list)
    return page


def map_links(statements) -> QuerySet:
    """The links of these statements as the map reads them: every link, to the whole statement or to one of
    its parts; where a source has several on one statement, the one to the whole first, then by part."""
    return (
        Evidence.objects.filter(claim__in=[statement.claim.pk for statement in statements])
        .order_by("claim_id", F("part__position").asc(nulls_first=True), "source__key")
        .values_list("claim_id", "source__key", "source__study_design", "stance")
    )


def with_page_links(request: HttpRequest, page, param: str, reset: str = ""):
    """The page with the query strings of its previous and next pages in `param`, every other parameter kept
    (but `reset`, which starts again at its first page): two paginations on one page."""
    for name, number in (("previous_query", page.number - 1), ("next_query", page.number + 1)):
        query = request.GET.copy()
        query[param] = str(number)
        query.pop(reset, None)
        setattr(page, name, "?" + query.urlencode())
    return page


# --- bibliography downloads in four scopes (the file itself: bibliography/downloads.py) ----------------------


@read_only
def source_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    found = filters.find_sources(request.GET)
    if not found.valid:
        return HttpResponse("\n".join(found.errors) + "\n", status=400, content_type="text/plain; charset=utf-8")
    return bibliography_download(request, found.results, fmt, "kratom-evidence-sources")


@read_only
def source_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    source = Source.objects.public().filter(key=key).first()
    if source is None:
        return merged_key_redirect(request, key, "evidence:source-export", fmt)
    return bibliography_download(request, Source.objects.filter(pk=source.pk), fmt, source.key)


@read_only
def claim_sources_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    claim = get_object_or_404(Claim, pk=pk)
    sources = Source.objects.public().filter(evidence__claim=claim).distinct().order_by("key")
    return bibliography_download(request, sources, fmt, f"statement-{claim.pk}-sources")


@read_only
def article_sources_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    sources = Source.objects.public().filter(evidence__claim__article=article).distinct().order_by("key")
    return bibliography_download(request, sources, fmt, f"{article.slug}-sources")


@never_cache
@read_only
def health_check(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database (and a shared cache) answer, 503 when one does not; 200 and
    "degraded" when only a part the site can serve without is down (a replica, a Redis cache)."""
    checks = health.run_checks(settings.CACHES)
    results = set(checks.values())
    status = "failing" if "failing" in results else "degraded" if "degraded" in results else "ok"
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == "failing" else 200)


# The export views a style picker may send its choice to (the scope's formatted-references download).
STYLED_EXPORTS = {"sources-export", "source-export", "claim-sources-export", "article-sources-export"}


@read_only
def style_picker(request: HttpRequest) -> HttpResponse:
    """Find a citation style by name among the ~10,800 CSL styles (the four common first), and download a
    set of sources in it. `export` is the set's own download link (as the page offering it wrote it)."""
    export = request.GET.get("export", "")
    path, _, query = export.partition("?")
    try:
        match = resolve(path) if path.startswith("/") else None
    except Resolver404:
        match = None
    if match is None or match.url_name not in STYLED_EXPORTS:
        return HttpResponse(
            "Choose a style from a page's download links (the export to style is missing or not ours).\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    kept = filters.without(QueryDict(query), "style")[1:]

    def links(style_id: str) -> list[tuple[str, str]]:
        urls = []
        for fmt, export_format in STYLED_FORMATS.items():
            url = reverse(f"evidence:{match.url_name}", kwargs={**match.kwargs, "fmt": fmt})
            urls.append((export_format.label, f"{url}?{kept + '&' if kept else ''}style={style_id}"))
        return urls

    query_text = request.GET.get("q", "").strip()[:200]
    found = styles.search(query_text)
    context = {
        "q": query_text,
        "export": export,
        "styles": [(info, links(info.id)) for info in found],
        "limit": styles.SEARCH_LIMIT,
    }
    return render(request, "evidence/style_picker.html", context)
