"""The demo set-up command: the curator login it makes, and when it refuses to."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run_load_demo(**options) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_demo", stdout=out, verbosity=0, **options)
    return out.getvalue()


def test_it_creates_the_curator_with_curator_rights_only(settings):
    get_user_model().objects.filter(username="curator").delete()
    settings.DEBUG = True
    assert "Created the demo curator login 'curator'" in run_load_demo()
    curator = get_user_model().objects.get(username="curator")
    assert curator.check_password("kratom-demo-curator")
    assert curator.is_staff and not curator.is_superuser
    assert curator.has_perm("evidence.change_source") and curator.has_perm("evidence.add_evidence")
    assert not curator.has_perm("auth.change_user")


def test_it_leaves_an_existing_login_alone():
    user = get_user_model().objects.get(username="curator")
    user.set_password("changed-by-its-owner")
    user.save()
    assert "left as it is" in run_load_demo(curator_password="something-else")
    user.refresh_from_db()
    assert user.check_password("changed-by-its-owner")


def test_without_debug_it_makes_no_login_with_a_known_password(settings):
    get_user_model().objects.filter(username="curator").delete()
    settings.DEBUG = False
    assert "no 'curator' login made" in run_load_demo()
    assert not get_user_model().objects.filter(username="curator").exists()
    run_load_demo(curator_password="a-chosen-password-77")
    assert get_user_model().objects.get(username="curator").check_password("a-chosen-password-77")


def test_no_fixture_commits_a_user_or_password_hash():
    from django.conf import settings

    for path in settings.FIXTURE_DIRS[0].glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert '"auth.user"' not in text and "pbkdf2_" not in text, path
