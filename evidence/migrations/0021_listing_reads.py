"""PostgreSQL: what the sources list reads at 100,000 sources (docs/performance.md, "Cold pages").

- The search vector kept in the row (STORAGE MAIN: compressed, moved out of line only as a last resort),
  so a search does not look each one up in the TOAST table: the long text columns go out of line first.
  Rows written before this migration keep their storage until rewritten (`VACUUM FULL evidence_source`).
- A covering index for the public filter and the column facets (and the years the home page counts): the
  listing's joins read it (index only) instead of the whole table.
- The home page's latest reviewed sources: an index in their order (a scan of every source before).

Nothing to do on SQLite."""

from django.db import migrations

from evidence.migrations._postgresql import on_postgresql
from evidence.migrations._search_before_0014 import POSTGRES_COLUMN

LISTING_INDEX = "evidence_source_listing"
LATEST_INDEX = "evidence_source_latest_reviewed"
FORWARDS = [
    f"ALTER TABLE evidence_source ALTER COLUMN {POSTGRES_COLUMN} SET STORAGE MAIN",
    f"CREATE INDEX {LISTING_INDEX} ON evidence_source (screening_status, id) "
    "INCLUDE (study_design, population, retraction_status, curation_status, year)",
    f"CREATE INDEX {LATEST_INDEX} ON evidence_source (updated_at DESC, key) "
    "WHERE screening_status = 'included' AND curation_status = 'reviewed'",
]
BACKWARDS = [
    f"DROP INDEX IF EXISTS {LATEST_INDEX}",
    f"DROP INDEX IF EXISTS {LISTING_INDEX}",
    f"ALTER TABLE evidence_source ALTER COLUMN {POSTGRES_COLUMN} SET STORAGE EXTENDED",
]


class Migration(migrations.Migration):
    dependencies = [("evidence", "0020_data_version")]

    operations = [migrations.RunPython(on_postgresql(FORWARDS), on_postgresql(BACKWARDS))]
