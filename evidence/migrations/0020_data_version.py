import secrets

from django.db import migrations, models

VOCABULARY = "evidence_search_vocabulary"  # evidence.query.spelling.POSTGRES_VOCABULARY


def first_version(apps, schema_editor):
    # A random start, as evidence.caching does when the row is missing: a database restored or emptied and
    # refilled never counts again through numbers a shared cache still holds figures for.
    apps.get_model("evidence", "DataVersion").objects.get_or_create(pk=1, defaults={"n": secrets.randbits(48)})


def vocabulary_table(apps, schema_editor):
    """PostgreSQL: the indexed words and how many sources use each, with a trigram index, for spelling
    corrections (evidence/query/spelling.py fills it). SQLite reads FTS5's own vocabulary table."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TABLE {VOCABULARY} (word text PRIMARY KEY, ndoc integer NOT NULL)"
        )
        schema_editor.execute(
            f"CREATE INDEX {VOCABULARY}_trigram ON {VOCABULARY} "
            "USING GIN (word gin_trgm_ops)"
        )


def drop_vocabulary_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TABLE {VOCABULARY}")


class Migration(migrations.Migration):
    dependencies = [("evidence", "0019_claim_status")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("n", models.BigIntegerField(default=0)),
                ("vocabulary_at", models.BigIntegerField(blank=True, null=True)),
            ],
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
        migrations.RunPython(vocabulary_table, drop_vocabulary_table),
    ]
