from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Kratom evidence base"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import caching, signals  # noqa: F401 - connects the receivers
        from .query import signals as search_signals  # noqa: F401 - connects the search index's receivers

        caching.connect_signals()
        post_migrate.connect(keep_search_index, sender=self)


def keep_search_index(sender, using: str, **kwargs) -> None:
    from django.db import connections

    from .search import ensure_sqlite_index

    connection = connections[using]
    if connection.vendor == "sqlite":
        ensure_sqlite_index(connection)
