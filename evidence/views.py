"""Public pages: thin views that hand a queryset to a template."""
from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import reports
from .models import Article, Claim, Compound, Evidence, Source
from .support import Status

REPORT_FORMATS = {
    "md": (reports.report_as_markdown, "text/markdown; charset=utf-8"),
    "csv": (reports.report_as_csv, "text/csv; charset=utf-8"),
    "json": (reports.report_as_json, "application/json"),
}


def home(request: HttpRequest) -> HttpResponse:
    compounds = Compound.objects.annotate(source_count=Count("sources", distinct=True))
    articles = Article.objects.annotate(
        claim_count=Count("claims"),
        checkworthy_count=Count("claims", filter=Q(claims__checkworthy=True)),
    )
    counts = {
        "sources": Source.objects.count(),
        "claims": Claim.objects.count(),
        "evidence": Evidence.objects.count(),
    }
    return render(request, "evidence/home.html", {"compounds": compounds, "articles": articles, "counts": counts})


def article_report_for(slug: str) -> reports.ArticleReport:
    article = get_object_or_404(Article, slug=slug)
    return reports.build_report(article, Claim.objects.for_review().filter(article=article))


def article_review(request: HttpRequest, slug: str) -> HttpResponse:
    report = article_report_for(slug)
    context = {
        "report": report,
        "article": report.article,
        "segments": reports.text_segments(report.article.text, report.statements),
        "formats": REPORT_FORMATS,
        "statuses": {status.value: status for status in Status},
    }
    return render(request, "evidence/article_review.html", context)


def article_report(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    if fmt not in REPORT_FORMATS:
        raise Http404(f"No report format {fmt!r}: use md, csv or json.")
    render_report, content_type = REPORT_FORMATS[fmt]
    response = HttpResponse(render_report(article_report_for(slug)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{slug}-flags.{fmt}"'
    return response


def source_detail(request: HttpRequest, key: str) -> HttpResponse:
    source = get_object_or_404(Source.objects.with_authors().prefetch_related("compounds"), key=key)
    evidence = source.evidence.select_related("claim__article").order_by("claim__article__title", "claim__start")
    return render(request, "evidence/source_detail.html", {"source": source, "evidence": evidence})
