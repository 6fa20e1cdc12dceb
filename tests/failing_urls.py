"""A URLconf for tests only: the site's own, plus an address that raises, to see what a server error leaves
in the logs. It is named by the settings of a test's gunicorn (ROOT_URLCONF), never by the site's."""

from django.urls import path

from evidence.urls import urlpatterns as site_urlpatterns


class ForcedServerError(Exception):
    pass


def raise_an_error(request):
    raise ForcedServerError("a server error forced by a test")


urlpatterns = [path("test-only/server-error/", raise_an_error), *site_urlpatterns]
