"""The full-text index as migrations 0004 and 0008 made it, frozen, and the helper the search migrations share: evidence.search describes today's
index (0014 added a column and the unaccenting configuration), and an old migration must keep doing
what it did when it was written. Django's migration loader skips modules whose name starts with "_"."""

from evidence.search import FTS_TABLE, sqlite_triggers  # noqa: F401 - FTS_TABLE is read by 0004

SEARCHED_COLUMNS = ("title", "author_names", "keywords", "abstract", "summary")
POSTGRES_WEIGHTS = {"title": "A", "author_names": "A", "keywords": "B", "abstract": "C", "summary": "C"}
POSTGRES_VECTOR = " || ".join(
    f"setweight(to_tsvector('english'::regconfig, coalesce(\"{column}\", '')), '{weight}')"
    for column, weight in POSTGRES_WEIGHTS.items()
)
POSTGRES_INDEX = "evidence_source_search"
POSTGRES_COLUMN = "search_vector"
POSTGRES_COLUMN_INDEX = "evidence_source_search_vector"


SQLITE_TRIGGERS = sqlite_triggers(SEARCHED_COLUMNS)


def run(statements_by_vendor: dict[str, list[str]]):
    """A RunPython operation executing the SQL statements written for the database in use."""

    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation
