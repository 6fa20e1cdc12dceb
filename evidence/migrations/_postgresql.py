"""For migrations with SQL of PostgreSQL's own: SQLite has nothing to do (its search is an FTS5 table)."""


def on_postgresql(statements):
    """A RunPython operation that runs these SQL statements on PostgreSQL only."""

    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation
