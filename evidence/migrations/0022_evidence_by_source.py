"""PostgreSQL: a source's links read from one index (source, then the stance and statement each needs).

The sources list's "supports claims about" facet reads, for the sources a search keeps, their supporting
links and the statements they bear on. For a few thousand sources, reading them by index beats hashing
every supporting link (300,000 at 100,000 sources); with the stance and statement in the index, the
planner reads it without the table and picks it (docs/performance.md, "Cold pages"). Nothing to do on
SQLite."""

from django.db import migrations

from evidence.migrations._postgresql import on_postgresql

INDEX = "evidence_evidence_by_source"
FORWARDS = [f"CREATE INDEX {INDEX} ON evidence_evidence (source_id) INCLUDE (stance, claim_id)"]
BACKWARDS = [f"DROP INDEX IF EXISTS {INDEX}"]


class Migration(migrations.Migration):
    dependencies = [("evidence", "0021_listing_reads")]

    operations = [migrations.RunPython(on_postgresql(FORWARDS), on_postgresql(BACKWARDS))]
