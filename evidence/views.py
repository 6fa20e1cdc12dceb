"""Public pages: thin views that hand a queryset to a template."""
from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Article, Claim, Compound, Evidence, Source


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
