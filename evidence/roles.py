"""The people who work on the evidence base, as Django groups."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Group, Permission

CURATOR_GROUP = "Curator"


def ensure_curator_group() -> Group:
    """Curators may add, change, delete and view every evidence record, but never users or groups."""
    group, _ = Group.objects.get_or_create(name=CURATOR_GROUP)
    models = [model._meta.model_name for model in apps.get_app_config("evidence").get_models()]
    group.permissions.set(Permission.objects.filter(content_type__app_label="evidence", content_type__model__in=models))
    return group
