from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Kratom evidence base"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            caching,
            claim_status_signals,  # noqa: F401 - connects the stored statuses' receivers
            signals,  # noqa: F401 - connects the receivers
        )
        from .query import signals as search_signals  # noqa: F401 - connects the search index's receivers

        caching.connect_signals()
        post_migrate.connect(keep_search_index, sender=self)
        post_migrate.connect(recompute_outdated_statuses, sender=self)
        pre_migrate.connect(drop_tally_triggers, sender=self)
        post_migrate.connect(keep_tallies, sender=self)


def keep_search_index(sender, using: str, **kwargs) -> None:
    from django.db import connections

    from .search import ensure_sqlite_index

    connection = connections[using]
    if connection.vendor == "sqlite":
        ensure_sqlite_index(connection)


def schema_complete(using: str) -> bool:
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[using])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def drop_tally_triggers(sender, using: str, plan=None, **kwargs) -> None:
    """Before a migrate that runs migrations (either way): the tallies' triggers out of their way
    (tallies.drop_triggers says why); keep_tallies puts them back, and rebuilds the tallies. (A migrate that
    fails leaves them dropped: `recompute_tallies --check` says so, and the next migrate or
    `recompute_tallies` makes them again.)"""
    from .tallies import drop_triggers

    if plan:
        drop_triggers(using)


def keep_tallies(sender, using: str, **kwargs) -> None:
    """After every migrate that leaves the schema complete: the tallies' triggers in place and the tallies as
    the data are."""
    from .tallies import keep

    if schema_complete(using):
        keep(using)


def recompute_outdated_statuses(sender, using: str, **kwargs) -> None:
    """After every migrate that leaves the schema complete: store the status of every claim that has none
    (a database migrated from before 0017) or one computed by older rules (claim_status.RULES_VERSION)."""
    from .claim_status import recompute_outdated

    if schema_complete(using):
        recompute_outdated()
