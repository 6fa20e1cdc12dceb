"""The tallies of the home page and the adverse-effects overview (evidence/tallies.py).

Their triggers are made after `migrate` (apps.keep_tallies), like the SQLite search index's: a later
migration that rebuilds a table on SQLite drops its triggers, and they are made again then. Going back
before this migration drops them first, or they would write to a table gone."""

from django.db import migrations, models


def drop_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'evidence_tally%'")
        else:
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'evidence_tally%'")
        for name, table in cursor.fetchall():
            schema_editor.execute(f"DROP TRIGGER {name} ON {table}" if postgresql else f"DROP TRIGGER {name}")
            if postgresql:
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0022_evidence_by_source'),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source_id', models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='SourceTally',
            fields=[
                ('source_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('share', models.TextField(help_text='JSON: [visibilities, evidence links, [[…key, n], …]] (tallies.Share).')),
            ],
        ),
        migrations.CreateModel(
            name='Tally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.TextField(help_text='The figure, as a JSON array: its kind and what it counts.', unique=True)),
                ('n', models.BigIntegerField()),
            ],
            options={
                'ordering': ['key'],
            },
        ),
        migrations.RunPython(migrations.RunPython.noop, drop_triggers),
    ]
