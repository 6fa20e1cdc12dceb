"""Full-text search: an FTS5 table with triggers on SQLite, a GIN expression index on PostgreSQL."""
from django.db import migrations

from evidence.migrations._search_before_0014 import (
    FTS_TABLE,
    POSTGRES_INDEX,
    POSTGRES_VECTOR,
    SEARCHED_COLUMNS,
    SQLITE_TRIGGERS,
    run,
)

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({', '.join(SEARCHED_COLUMNS)}, content='evidence_source', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    *SQLITE_TRIGGERS.values(),
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{event}" for event in ("insert", "delete", "update")
] + [f"DROP TABLE IF EXISTS {FTS_TABLE}"]
POSTGRES_CREATE = [f'CREATE INDEX {POSTGRES_INDEX} ON evidence_source USING GIN (({POSTGRES_VECTOR}))']
POSTGRES_DROP = [f"DROP INDEX IF EXISTS {POSTGRES_INDEX}"]


def fill_author_names(apps, schema_editor):
    Source = apps.get_model("evidence", "Source")
    Authorship = apps.get_model("evidence", "Authorship")
    names: dict[int, list[str]] = {}
    for authorship in Authorship.objects.select_related("author").order_by("source_id", "position"):
        author = authorship.author
        names.setdefault(authorship.source_id, []).append(f"{author.family}, {author.given}" if author.given else author.family)
    for source_id, authors in names.items():
        Source.objects.filter(pk=source_id).update(author_names="; ".join(authors))


class Migration(migrations.Migration):
    dependencies = [("evidence", "0003_source_author_names")]

    operations = [
        migrations.RunPython(fill_author_names, migrations.RunPython.noop),
        migrations.RunPython(
            run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
