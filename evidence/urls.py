from django.contrib import admin
from django.urls import include, path

from . import views

# Public pages live in the "evidence" namespace; the curators' admin beside them.
public_pages = (
    [
        path("", views.home, name="home"),
    ],
    "evidence",
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include(public_pages)),
]
