"""The home page's latest reviewed sources read from an index in their order on SQLite too (a scan and sort
of every source there: 90 ms at 100,000). Declared on the model, so that SQLite's table rebuilds keep it;
it replaces the same index that 0021 made on PostgreSQL alone, by hand."""

from django.db import migrations, models

from evidence.migrations._postgresql import on_postgresql

HAND_MADE = "evidence_source_latest_reviewed"


class Migration(migrations.Migration):
    dependencies = [("evidence", "0023_tallies")]

    operations = [
        migrations.RunPython(
            on_postgresql([f"DROP INDEX IF EXISTS {HAND_MADE}"]),
            on_postgresql(
                [
                    f"CREATE INDEX {HAND_MADE} ON evidence_source (updated_at DESC, key) "
                    "WHERE screening_status = 'included' AND curation_status = 'reviewed'"
                ]
            ),
        ),
        migrations.AddIndex(
            model_name="source",
            index=models.Index(
                condition=models.Q(("curation_status", "reviewed"), ("screening_status", "included")),
                fields=["-updated_at", "key"],
                name="source_latest_reviewed",
            ),
        ),
    ]
