"""/health/ for load balancers: 200 when the database and a shared cache answer, 503 naming what fails."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def file_cache(location) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(location)}}


def test_health_checks_the_database_and_leaves_an_in_process_cache_alone(reader, django_assert_max_num_queries):
    in_process = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=in_process), django_assert_max_num_queries(1):  # SELECT 1
        response = reader.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_health_checks_a_shared_cache_where_one_is_configured(reader, tmp_path):
    with override_settings(CACHES=file_cache(tmp_path / "cache")):
        response = reader.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache default": "ok"}


def test_health_answers_503_when_the_cache_cannot_keep_a_value(reader, tmp_path, caplog):
    blocked = tmp_path / "a-file-not-a-directory"
    blocked.write_text("synthetic")
    with override_settings(CACHES=file_cache(blocked)):
        response = reader.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "checks": {"database": "ok", "cache default": "failing"}}
    assert "the cache 'default' does not answer" in caplog.text
    assert str(blocked) not in response.content.decode()  # why it failed is for the log, not the caller


def test_health_takes_only_get_and_head(reader):
    assert reader.post("/health/").status_code == 405
