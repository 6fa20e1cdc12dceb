from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

# Public pages live in the "evidence" namespace; the curators' admin beside them.
public_pages = (
    [
        path("", views.home, name="home"),
        path("articles/<slug:slug>/", views.article_review, name="article"),
        path("articles/<slug:slug>/report.<str:fmt>", views.article_report, name="article-report"),
        path("articles/<slug:slug>/findings/", views.article_findings, name="article-findings"),
        path(
            "articles/<slug:slug>/findings.<str:fmt>",
            views.article_findings_download,
            name="article-findings-download",
        ),
        path("articles/<slug:slug>/sources.<str:fmt>", views.article_sources_export, name="article-sources-export"),
        path("sources/", views.source_list, name="sources"),
        path("sources/export.<str:fmt>", views.source_list_export, name="sources-export"),
        path("styles/", views.style_picker, name="styles"),
        path("sources/<str:key>/", views.source_detail, name="source"),
        path("sources/<str:key>/export.<str:fmt>", views.source_export, name="source-export"),
        path("claims/", views.claim_list, name="claims"),
        path("claims/<int:pk>/", views.claim_detail, name="claim"),
        path("claims/<int:pk>/evidence/", views.statement_evidence, name="claim-evidence"),
        path(
            "claims/<int:pk>/evidence/fragment/",
            views.statement_evidence,
            {"fragment": True},
            name="claim-evidence-fragment",
        ),
        path("claims/<int:pk>/copy-links/<int:original>/", views.copy_links, name="claim-copy-links"),
        path("claims/<int:pk>/sources.<str:fmt>", views.claim_sources_export, name="claim-sources-export"),
        path("adverse-effects/", views.adverse_effects, name="adverse-effects"),
        path("evidence-map/", views.evidence_map, name="evidence-map"),
    ],
    "evidence",
)

urlpatterns = [
    path("health/", views.health_check, name="health"),
    path(settings.ADMIN_PATH, admin.site.urls),
    path("api/v1/", include("evidence.api.urls")),
    path("", include(public_pages)),
]

# Pages keep the 404 page; the API's unknown URLs get a problem document.
handler404 = "evidence.api.problems.api_aware_not_found"
