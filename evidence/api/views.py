"""The API's endpoints: thin, like the pages' views, over the same filters, querysets and reports."""

from __future__ import annotations

import hashlib

import django_filters
from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse as url_reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .. import checking, claim_status, filters, listing, overviews, reports, tallies
from ..bibliography.downloads import bibliography_response
from ..bibliography.formats import EXPORT_FORMATS, UnknownFormat
from ..bibliography.importer import Action, ImportedFile, ImportRefused, commit_import, plan_import, read_import
from ..merging import resolve_merged_key
from ..models import (
    AdverseEffectReport,
    Article,
    Author,
    Authorship,
    BibliographyUpload,
    Claim,
    Compound,
    Evidence,
    Source,
)
from ..query import matching
from ..vocabularies import ReportGroup
from . import serializers
from .conditional import ConditionalResponses, PreconditionedWrites
from .permissions import AnonymousCheckThrottle, CanImportSources, sees_every_source
from .problems import ContentTooLarge
from .renderers import BIBLIOGRAPHY_RENDERERS, SOURCE_RENDERERS, BibliographyRenderer, style_asked

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of your GET: a write over a newer version gets 412.",
)
BIBLIOGRAPHY_RESPONSES = {(200, renderer.media_type): OpenApiTypes.STR for renderer in BIBLIOGRAPHY_RENDERERS}
SORT = OpenApiParameter(
    "sort", OpenApiTypes.STR, enum=list(filters.SORTS), description="As on the sources page (relevance needs q)."
)
DRAFTS = OpenApiParameter(
    "drafts", OpenApiTypes.STR, enum=["include"], description="Also count evidence links not reviewed yet."
)


def invalid(filterset) -> ValidationError:
    return ValidationError({name: list(messages) for name, messages in filterset.errors.items()})


class APIViewSet(ConditionalResponses, viewsets.GenericViewSet):
    """Every endpoint's common behaviour: ETags, Cache-Control, problem documents (settings)."""


class CuratedViewSet(PreconditionedWrites, mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin):
    """Writes for curators (model permissions, If-Match); history records the token's user."""


def readable(request, manager):
    """Sources (or adverse-effect reports) a request may read: everything for a curator's token and for a
    write (whose permission is checked on its own), else only the public ones, as on the pages."""
    if request.method not in ("GET", "HEAD") or sees_every_source(request):
        return manager.all()
    return manager.public()


def bibliography_asked(request) -> BibliographyRenderer | None:
    renderer = getattr(request, "accepted_renderer", None)
    return renderer if isinstance(renderer, BibliographyRenderer) else None


def bibliography_of(request, sources):
    renderer = bibliography_asked(request)
    response = bibliography_response(sources, renderer.export_format, style_asked(request.accepted_media_type))
    response["Content-Type"] = f"{renderer.media_type}; charset=utf-8"  # the type asked for; the file is the download's
    return response


@extend_schema_view(
    list=extend_schema(
        operation_id="sources_list",
        parameters=[SORT],
        responses={200: serializers.SourceSerializer(many=True), **BIBLIOGRAPHY_RESPONSES},
        description="The sources page's search, facets (with counts) and sorts; `Accept` a bibliography "
        "format to get every matching source as that file.",
    ),
    retrieve=extend_schema(responses={200: serializers.SourceDetailSerializer, **BIBLIOGRAPHY_RESPONSES}),
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
)
class SourceViewSet(CuratedViewSet, mixins.RetrieveModelMixin, APIViewSet):
    lookup_field = "key"
    lookup_value_regex = r"[^/]+"
    renderer_classes = SOURCE_RENDERERS
    filterset_class = filters.SourceFilter  # documents the parameters; `find_sources` applies them, as on the page
    serializer_class = serializers.SourceDetailSerializer

    def get_queryset(self):
        return readable(self.request, Source.objects).with_authors().prefetch_related("compounds")

    def list(self, request):
        found = filters.find_sources(request.query_params)
        if not found.valid:
            raise invalid(found.filterset)
        if request.query_params.get("sort", "") not in ("", *filters.SORTS):
            raise ValidationError({"sort": [f"Use one of {', '.join(filters.SORTS)}."]})
        if bibliography_asked(request):
            return bibliography_of(request, found.results)
        page = self.paginate_queryset(found.results)
        rows = self.get_queryset().in_bulk([source.pk for source in page])
        compound_names = dict(Compound.objects.values_list("slug", "name"))
        counts = listing.counts_of(found)  # the facets and the count in one statement, the page's own
        facets = filters.facet_values(found.data, counts.facets, compound_names)
        query = filters.without(request.query_params, "cursor")
        return self.paginator.get_paginated_response(
            serializers.SourceSerializer(
                [rows[source.pk] for source in page], many=True, context=self.get_serializer_context()
            ).data,
            count=counts.total,
            sort=found.sort,
            facets={
                name: [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected} for v in values]
                for name, values in facets.items()
            },
            exports={
                fmt: request.build_absolute_uri(url_reverse("evidence:sources-export", args=[fmt]) + query)
                for fmt in EXPORT_FORMATS
            },
        )

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and bibliography_asked(request):
            # Data that is no bibliography (OPTIONS metadata, a 204) is JSON whatever was asked for.
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def retrieve(self, request, key=None):
        try:
            if bibliography_asked(request):
                return bibliography_of(request, Source.objects.filter(pk=self.get_object().pk))  # a readable one
            return super().retrieve(request, key=key)
        except Http404:
            # A merged record's key answers for good with its survivor (evidence/merging.py).
            survivor = resolve_merged_key(key)
            if survivor is None:
                raise
            query = request.META.get("QUERY_STRING", "")
            url = url_reverse("api:source-detail", args=[survivor.key]) + (f"?{query}" if query else "")
            return HttpResponsePermanentRedirect(url)

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user, updated_by=self.request.user)

    def perform_update(self, serializer):
        serializer.save(updated_by=self.request.user)


class AuthorViewSet(ConditionalResponses, viewsets.ReadOnlyModelViewSet):
    """Authors of the sources readers see (a candidate's authors are not listed until it is included)."""

    serializer_class = serializers.AuthorSerializer

    def get_queryset(self):
        public = Authorship.objects.filter(source__in=readable(self.request, Source.objects))
        return Author.objects.filter(pk__in=public.values("author")).order_by("family", "given", "pk")


class CompoundViewSet(ConditionalResponses, viewsets.ReadOnlyModelViewSet):
    queryset = Compound.objects.order_by("name")
    serializer_class = serializers.CompoundSerializer
    lookup_field = "slug"


def parameters_of(filterset_class) -> list[OpenApiParameter]:
    """A FilterSet's filters as query parameters, for a list that applies the FilterSet itself."""
    return [
        OpenApiParameter(
            name,
            OpenApiTypes.STR,
            many=isinstance(filter_, django_filters.MultipleChoiceFilter | django_filters.ModelMultipleChoiceFilter),
            enum=[value for value, _ in filter_.extra["choices"]] if "choices" in filter_.extra else None,
            description=str(filter_.label),
        )
        for name, filter_ in filterset_class.base_filters.items()
    ]


@extend_schema_view(
    list=extend_schema(parameters=parameters_of(filters.ClaimFilter)),
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
)
class ClaimViewSet(CuratedViewSet, mixins.RetrieveModelMixin, APIViewSet):
    """Statements with status, certainty, reasons and evidence, filtered as on the statements page."""

    queryset = Claim.objects.for_review().prefetch_related("compounds")
    serializer_class = serializers.ClaimSerializer

    def list(self, request):
        filterset = filters.ClaimFilter(request.query_params, queryset=Claim.objects.all())
        if not filterset.is_valid():
            raise invalid(filterset)
        # Filtered (by the stored status too) and paginated in the database: only this page's claims are read.
        claims = filterset.qs.for_review().prefetch_related("compounds")
        page = claim_status.statements_of(self.paginate_queryset(claims))
        context = {**self.get_serializer_context(), "statements": {s.claim.pk: s for s in page}}
        data = serializers.ClaimSerializer([s.claim for s in page], many=True, context=context).data
        return self.get_paginated_response(data)


class EvidenceFilter(django_filters.FilterSet):
    # By number and key, not a choice of rows: an unknown one selects nothing rather than being an error.
    claim = django_filters.NumberFilter(field_name="claim_id")
    source = django_filters.CharFilter(field_name="source__key")

    class Meta:
        model = Evidence
        fields = ["stance", "curation_status"]


@extend_schema_view(
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
)
class EvidenceViewSet(CuratedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, APIViewSet):
    queryset = Evidence.objects.select_related("source").order_by("pk")
    serializer_class = serializers.EvidenceSerializer
    filterset_class = EvidenceFilter

    def perform_create(self, serializer):
        serializer.save(added_by=self.request.user)


@extend_schema_view(
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
)
class AdverseEffectReportViewSet(CuratedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, APIViewSet):
    serializer_class = serializers.AdverseEffectReportSerializer
    filterset_fields = ["setting", "severity", "causality"]

    def get_queryset(self):
        harms = readable(self.request, AdverseEffectReport.objects)
        return harms.select_related("source", "effect", "compound").order_by("pk")


class AdverseEffectMatrixView(ConditionalResponses, APIView):
    """The adverse-effects page's matrix: system organ class × compound."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reported_in",
                str,
                enum=list(ReportGroup.values),
                description="Human reports (default) or animal and in vitro toxicity.",
            )
        ],
        responses=serializers.HarmMatrixSerializer,
    )
    def get(self, request):
        group = request.query_params.get("reported_in", ReportGroup.HUMANS)
        if group not in ReportGroup.values:
            raise ValidationError({"reported_in": [f"Choose one of: {', '.join(ReportGroup.values)}."]})
        compounds = dict(Compound.objects.values_list("slug", "name"))
        sources_url = request.build_absolute_uri(url_reverse("evidence:sources"))
        matrix, columns = overviews.harm_overview(tallies.harm_counts(group), compounds, sources_url, group)
        rows = [
            {
                "organ_class": row.organ_class,
                "total_sources": row.total_sources,
                "effects": row.effects,
                "cells": {slug: vars(cell) for slug, cell in row.cells.items()},
            }
            for row in matrix
        ]
        return Response(serializers.HarmMatrixSerializer({"columns": columns, "rows": rows}).data)


def counts_drafts(request) -> bool:
    return request.query_params.get("drafts") == "include"


@extend_schema_view(
    list=extend_schema(parameters=[DRAFTS]),
    retrieve=extend_schema(parameters=[DRAFTS]),
)
class ArticleViewSet(ConditionalResponses, viewsets.ReadOnlyModelViewSet):
    """Articles under review: their summaries; one article's text and every statement with its flags."""

    queryset = Article.objects.order_by("-created_at", "slug")
    lookup_field = "slug"

    def get_serializer_class(self):
        return serializers.ArticleDetailSerializer if self.action == "retrieve" else serializers.ArticleSerializer

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        summaries = {
            report.article.pk: report.summary for report in reports.article_reports(page, counts_drafts(request))
        }
        context = {**self.get_serializer_context(), "summaries": summaries}
        return self.get_paginated_response(serializers.ArticleSerializer(page, many=True, context=context).data)

    def retrieve(self, request, slug=None):
        # The review page's own report, folded as the page is: stored statuses, no link objects (a statement's
        # links are `links.evidence`), the unsupported statements' candidates.
        (report,) = reports.article_reports([self.get_object()], counts_drafts(request))
        report = matching.with_candidates(report)
        article = report.article
        context = {
            **self.get_serializer_context(),
            "summaries": {article.pk: report.summary},
            "statements": report.statements,
        }
        return Response(serializers.ArticleDetailSerializer(article, context=context).data)


class CheckView(APIView):
    """Statements of a text, each matched against the evidence base; nothing is stored."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonymousCheckThrottle]
    renderer_classes = [JSONRenderer]

    @extend_schema(request=serializers.CheckRequestSerializer, responses=serializers.CheckResultSerializer)
    def post(self, request):
        asked = serializers.CheckRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        text = asked.validated_data["text"]
        if len(text) > settings.API_CHECK_MAX_CHARACTERS:
            raise ContentTooLarge(
                f"The text has {len(text):,} characters; /check/ takes up to {settings.API_CHECK_MAX_CHARACTERS:,}."
            )
        if "\x00" in text:
            raise ValidationError({"text": ["The text contains a NUL byte: send plain text."]})
        result = serializers.CheckResultSerializer(checking.check_text(text), context={"request": request})
        return Response(result.data)


def plan_data(request, upload: BibliographyUpload) -> dict:
    """The upload planned against the database as it is now (planning writes nothing)."""
    plan = plan_import(read_import(bytes(upload.content), upload.format))
    return {
        "id": upload.pk,
        "filename": upload.filename,
        "format": plan.format,
        "content_sha256": upload.content_sha256,
        "summary": {action.value: plan.count(action) for action in Action},
        "entries": serializers.PlannedEntrySerializer(plan.entries, many=True).data,
        "notes": plan.notes,
        "warnings": [str(warning) for warning in plan.warnings],
        "result": upload.result,
        "commit": reverse("api:import-commit", args=[upload.pk], request=request),
    }


class ImportViewSet(ConditionalResponses, viewsets.GenericViewSet):
    """Upload a bibliography -> its plan (new, duplicate, conflict or failed per entry) -> commit by id."""

    queryset = BibliographyUpload.objects.all()
    permission_classes = [CanImportSources]
    serializer_class = serializers.ImportPlanSerializer

    @extend_schema(
        request={"multipart/form-data": serializers.ImportUploadSerializer},
        responses={201: serializers.ImportPlanSerializer},
    )
    def create(self, request):
        upload = serializers.ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        if file.size > settings.IMPORT_MAX_BYTES:
            raise ContentTooLarge(f"The file has {file.size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}.")
        data = file.read()
        record = BibliographyUpload(
            filename=file.name[:200],
            format=upload.validated_data["format"],
            content=data,
            content_sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=request.user,
        )
        try:
            body = plan_data(request, record)
        except ImportRefused as error:
            raise ContentTooLarge(str(error)) from None
        except UnknownFormat as error:
            raise ValidationError({"file": [str(error)]}) from None
        record.save()
        return Response(body, status=201)

    def retrieve(self, request, pk=None):
        return Response(plan_data(request, self.get_object()))

    @extend_schema(request=None, responses=serializers.ImportResultSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Write the plan; a second commit of the same upload returns the first one's result."""
        with transaction.atomic():
            upload = get_object_or_404(BibliographyUpload.objects.select_for_update(), pk=self.get_object().pk)
            if upload.result is None:
                data = bytes(upload.content)
                parsed = read_import(data, upload.format)
                provenance = (
                    f"Imported from {upload.filename or 'an upload'} ({parsed.format}) by {request.user} via the API."
                )
                origin = ImportedFile.of(data, upload.filename or "an upload")
                result = commit_import(parsed, request.user, provenance=provenance, origin=origin)
                upload.result = {
                    "batch": result.batch,
                    "created": [source.key for source in result.created],
                    "updated": [source.key for source in result.updated],
                }
                upload.committed_at = timezone.now()
                upload.save(update_fields=["result", "committed_at"])
        return Response(upload.result)
