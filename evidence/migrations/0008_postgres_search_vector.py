"""PostgreSQL: the search vector stored in a generated column with a GIN index, instead of an index on
the expression (see evidence.search). Nothing to do on SQLite, whose FTS5 table stores its index."""
from django.db import migrations

from evidence.migrations._postgresql import on_postgresql
from evidence.migrations._search_before_0014 import (
    POSTGRES_COLUMN,
    POSTGRES_COLUMN_INDEX,
    POSTGRES_INDEX,
    POSTGRES_VECTOR,
)

FORWARDS = [
    f"ALTER TABLE evidence_source ADD COLUMN {POSTGRES_COLUMN} tsvector GENERATED ALWAYS AS ({POSTGRES_VECTOR}) STORED",
    f"CREATE INDEX {POSTGRES_COLUMN_INDEX} ON evidence_source USING GIN ({POSTGRES_COLUMN})",
    f"DROP INDEX IF EXISTS {POSTGRES_INDEX}",
]
BACKWARDS = [
    f"CREATE INDEX {POSTGRES_INDEX} ON evidence_source USING GIN (({POSTGRES_VECTOR}))",
    f"ALTER TABLE evidence_source DROP COLUMN {POSTGRES_COLUMN}",
]



class Migration(migrations.Migration):
    dependencies = [("evidence", "0007_source_title_key")]

    operations = [migrations.RunPython(on_postgresql(FORWARDS), on_postgresql(BACKWARDS))]
