"""/api/v1/: the endpoints, the OpenAPI 3.1 schema, and its Swagger UI and ReDoc pages (served locally)."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("sources", views.SourceViewSet, basename="source")
router.register("authors", views.AuthorViewSet, basename="author")
router.register("compounds", views.CompoundViewSet, basename="compound")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("adverse-effect-reports", views.AdverseEffectReportViewSet, basename="adverse-effect-report")
router.register("articles", views.ArticleViewSet, basename="article")
router.register("imports", views.ImportViewSet, basename="import")

app_name = "api"
urlpatterns = [
    path("", include(router.urls)),
    path("overviews/adverse-effects/", views.AdverseEffectMatrixView.as_view(), name="adverse-effect-matrix"),
    path("check/", views.CheckView.as_view(), name="check"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file of its own: the security policy allows no inline script.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="swagger-ui",
    ),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"), name="redoc"),
]
