"""Public pages: thin views that hand a queryset to a template."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.decorators.http import require_safe

from . import filters, overviews, reports
from .bibliography.downloads import bibliography_download
from .bibliography.formats import STYLE_NAMES
from .bibliography.formatted import format_references
from .bibliography.sources import record_from_source
from .models import AdverseEffectReport, Article, Claim, Compound, Evidence, Source
from .support import Status, summarise
from .vocabularies import Stance, StudyDesign

LATEST_SOURCES = 8
HOME_ARTICLES = 5
MAP_STATEMENTS = 60  # columns of the evidence map; more is not a picture any more

REPORT_FORMATS = {
    "md": (reports.report_as_markdown, "text/markdown; charset=utf-8"),
    "csv": (reports.report_as_csv, "text/csv; charset=utf-8"),
    "json": (reports.report_as_json, "application/json"),
}


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    sources = Source.objects.public()
    # The newest few articles: each one's flag summary assesses all its statements from their evidence.
    articles = list(Article.objects.order_by("-created_at", "title")[:HOME_ARTICLES])
    context = {
        "counts": {"sources": sources.count(), "claims": Claim.objects.count(), "evidence": Evidence.objects.count()},
        "compounds": Compound.objects.annotate(source_count=Count("sources", Q(sources__in=sources), distinct=True)),
        "designs": sources.exclude(study_design="").values("study_design").annotate(n=Count("pk")).order_by("-n"),
        "years": overviews.decades(sources.exclude(year=None).values("year").annotate(n=Count("pk"))),
        "reports": article_reports(articles),
        "more_articles": Article.objects.count() - len(articles),
        "latest": sources.reviewed().with_authors().order_by("-updated_at", "key")[:LATEST_SOURCES],
        "design_labels": dict(StudyDesign.choices),
    }
    return render(request, "evidence/home.html", context)


def article_reports(
    articles: list[Article], include_drafts: bool = False, shown: int = 0
) -> list[reports.ArticleReport]:
    """The home page's summaries and the review page's report: statuses from the links' plain values, and
    each statement's `shown` strongest links as objects (none: a summary). Two or three queries for any
    number of articles and statements."""
    links = Evidence.objects.of_articles(articles)
    claims = Claim.objects.of_articles(articles).in_text_order()
    strongest = links.strongest_of_each_claim(shown) if shown else ()
    statements = reports.statements(claims, links.link_values(), strongest, include_drafts)
    return reports.reports_by_article(articles, statements)


def article_report_for(request: HttpRequest, slug: str) -> reports.ArticleReport:
    """The article's flags, for downloads: every statement with all its links."""
    article = get_object_or_404(Article, slug=slug)
    return reports.build_report(article, Claim.objects.for_review().filter(article=article), counts_drafts(request))


def counts_drafts(request: HttpRequest) -> bool:
    """`?drafts=include` also counts evidence links not reviewed yet."""
    return request.GET.get("drafts") == "include"


# Evidence rows per statement on the review page, strongest stance first; the statement's own page lists
# them all. An article of 1,000 statements with 25 links each would otherwise be a 9 MB page.
REVIEW_LINKS_SHOWN = 5


@require_safe
def article_review(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    (report,) = article_reports([article], counts_drafts(request), REVIEW_LINKS_SHOWN)
    context = {
        "report": report,
        "article": report.article,
        "segments": reports.text_segments(report.article.text, report.statements),
        "formats": REPORT_FORMATS,
        "statuses": {status.value: status for status in Status},
        "links_shown": REVIEW_LINKS_SHOWN,
    }
    return render(request, "evidence/article_review.html", context)


@require_safe
def article_report(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    if fmt not in REPORT_FORMATS:
        raise Http404(f"No report format {fmt!r}: use md, csv or json.")
    render_report, content_type = REPORT_FORMATS[fmt]
    response = HttpResponse(render_report(article_report_for(request, slug)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{slug}-flags.{fmt}"'
    return response


@require_safe
def source_detail(request: HttpRequest, key: str) -> HttpResponse:
    source = get_object_or_404(Source.objects.public().with_authors().prefetch_related("compounds"), key=key)
    # Each linked claim comes with all its evidence, so its status can be shown beside this source's stance.
    evidence = (
        source.evidence.select_related("claim__article")
        .prefetch_related(Prefetch("claim__evidence", queryset=Evidence.objects.select_related("source")))
        .order_by("claim__article__title", "claim__start", "claim__pk")
    )
    record = record_from_source(source)
    context = {
        "source": source,
        "cite_as": [(STYLE_NAMES[style], format_references([record], style, "html")[0]) for style in STYLE_NAMES],
        "links": [(link, reports.assess_claim(link.claim)) for link in evidence],
        "harms": source.adverse_effect_reports.select_related("effect", "compound").order_by("effect__term"),
    }
    return render(request, "evidence/source_detail.html", context)


SOURCES_PER_PAGE = 25


class SearchPaginator(Paginator):
    """Pages of a search's ordered results, counted over its plain matches (see SourceSearch.matches)."""

    def __init__(self, found: filters.SourceSearch, per_page: int):
        super().__init__(found.results, per_page)
        self.matches = found.matches

    @cached_property
    def count(self) -> int:
        return self.matches.count()


@require_safe
def source_list(request: HttpRequest) -> HttpResponse:
    found = filters.find_sources(request.GET)
    # Compounds are named by slug in the URL: one read serves the facets and the filter chips.
    compound_names = dict(Compound.objects.values_list("slug", "name"))
    facets = filters.facet_counts(request.GET, Source.objects.public(), compound_names) if found.valid else {}
    page = SearchPaginator(found, SOURCES_PER_PAGE).get_page(request.GET.get("page"))
    # Authors and compounds for the sources on this page only.
    rows = Source.objects.with_authors().prefetch_related("compounds").in_bulk([source.pk for source in page])
    context = {
        "filterset": found.filterset,
        "page": page,
        "rows": [rows[source.pk] for source in page],
        "facets": [(found.filterset.filters[name].label, name, values) for name, values in facets.items()],
        "active": filters.active_filters(request.GET, facets, compound_names),
        "kept_facets": [(name, value) for name in filters.FACETS for value in request.GET.getlist(name)],
        "errors": found.errors,
        "sort": found.sort,
        "sorts": {key: label for key, label in filters.SORTS.items() if key != "relevance" or found.searching},
        "export_query": filters.without(request.GET, "page")[1:],
    }
    return render(request, "evidence/source_list.html", context, status=200 if found.valid else 400)


CLAIMS_PER_PAGE = 50


@require_safe
def claim_list(request: HttpRequest) -> HttpResponse:
    filterset = filters.ClaimFilter(request.GET, queryset=Claim.objects.all())
    page = Paginator([], CLAIMS_PER_PAGE).get_page(1)
    if filterset.is_valid():
        claims = filterset.qs.for_review().select_related("article").prefetch_related("compounds")
        if filterset.form.cleaned_data.get("status"):
            # A status is computed, so filtering by it assesses every claim the other filters leave.
            statements = filterset.statements_with_status(reports.statements_of(claims))
            page = Paginator(statements, CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
        else:  # paginated in the database: only this page's claims are assessed
            page = Paginator(claims, CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
            page.object_list = reports.statements_of(page.object_list)
    context = {
        "filterset": filterset,
        "errors": filters.error_messages(filterset),
        "page": page,
        "status_counts": summarise(statement.status for statement in page.object_list),
        "statuses": list(Status),
    }
    return render(request, "evidence/claim_list.html", context, status=200 if filterset.is_valid() else 400)


@require_safe
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.for_review().prefetch_related("compounds"), pk=pk)
    (statement,) = reports.statements_of([claim])
    context = {
        "claim": claim,
        "statement": statement,
        "by_stance": [
            (label, [link for link in statement.evidence if link.stance == stance]) for stance, label in Stance.choices
        ],
        "place": reports.place_in_text(claim.article.text, claim.start, claim.end) if claim.start is not None else None,
    }
    return render(request, "evidence/claim_detail.html", context)


@require_safe
def adverse_effects(request: HttpRequest) -> HttpResponse:
    compounds = dict(Compound.objects.values_list("slug", "name"))
    matrix = overviews.harm_matrix(
        AdverseEffectReport.objects.public().by_organ_class_and_compound(),
        AdverseEffectReport.objects.public().effect_terms(),
        reverse("evidence:sources"),
    )
    # Only the compounds some report names get a column.
    columns = {slug: name for slug, name in compounds.items() if any(slug in row.cells for row in matrix)}
    context = {"matrix": matrix, "columns": columns, "chart": overviews.harm_chart(matrix, columns)}
    return render(request, "evidence/adverse_effects.html", context)


@require_safe
def evidence_map(request: HttpRequest) -> HttpResponse:
    filterset = filters.ClaimFilter(request.GET, queryset=Claim.objects.filter(checkworthy=True))
    statements, total = [], 0
    if filterset.is_valid():
        total = filterset.qs.count()
        statements = first_statements(filterset, MAP_STATEMENTS, total)
    columns, rows = overviews.evidence_map(statements)
    context = {
        "filterset": filterset,
        "errors": filters.error_messages(filterset),
        "columns": columns,
        "rows": rows,
        "stances": Stance.choices,
        "total": total,
        "limited": len(columns) == MAP_STATEMENTS and total > MAP_STATEMENTS,
    }
    return render(request, "evidence/evidence_map.html", context, status=200 if filterset.is_valid() else 400)


def first_statements(
    filterset: filters.ClaimFilter, limit: int, total: int, chunk: int = 300
) -> list[reports.Statement]:
    """The first `limit` of the `total` statements the filters select, assessing claims a chunk at a time,
    so that a status filter over a large corpus stops as soon as it has enough."""
    claims = filterset.qs.for_review()
    found: list[reports.Statement] = []
    for offset in range(0, total if filterset.form.cleaned_data.get("status") else limit, chunk):
        batch = reports.statements_of(claims[offset : offset + chunk])
        found += filterset.statements_with_status(batch)
        if len(found) >= limit or len(batch) < chunk:
            break
    return found[:limit]


# --- bibliography downloads in four scopes (the file itself: bibliography/downloads.py) ----------------------


@require_safe
def source_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    found = filters.find_sources(request.GET)
    if not found.valid:
        return HttpResponse("\n".join(found.errors) + "\n", status=400, content_type="text/plain; charset=utf-8")
    return bibliography_download(request, found.results, fmt, "kratom-evidence-sources")


@require_safe
def source_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    source = get_object_or_404(Source.objects.public(), key=key)
    return bibliography_download(request, Source.objects.filter(pk=source.pk), fmt, source.key)


@require_safe
def claim_sources_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    claim = get_object_or_404(Claim, pk=pk)
    sources = Source.objects.public().filter(evidence__claim=claim).distinct().order_by("key")
    return bibliography_download(request, sources, fmt, f"statement-{claim.pk}-sources")


@require_safe
def article_sources_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    sources = Source.objects.public().filter(evidence__claim__article=article).distinct().order_by("key")
    return bibliography_download(request, sources, fmt, f"{article.slug}-sources")
