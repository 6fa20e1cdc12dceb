"""Search reaches what a source is linked to (Source.linked_terms, indexed with weight B); PostgreSQL removes
accents (a text search configuration with unaccent) and gets pg_trgm for spelling corrections; SQLite gets an
fts5vocab table over its index, for the same; curators' thesaurus entries (evidence.query.thesaurus)."""

from django.db import migrations, models

from evidence import search
from evidence.migrations import _search_before_0014 as before
from evidence.migrations._search_before_0014 import run
from evidence.query.linked import refresh_linked_terms

SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in before.SQLITE_TRIGGERS] + [
    f"DROP TABLE IF EXISTS {search.FTS_VOCABULARY}",
    f"DROP TABLE IF EXISTS {search.FTS_TABLE}",
]


def sqlite_create(columns, triggers):
    return [
        f"CREATE VIRTUAL TABLE {search.FTS_TABLE} USING fts5({', '.join(columns)}, content='evidence_source', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        *triggers.values(),
        f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('rebuild')",
    ]


SQLITE_FORWARDS = [
    *SQLITE_DROP,
    *sqlite_create(search.SEARCHED_COLUMNS, search.SQLITE_TRIGGERS),
    f"CREATE VIRTUAL TABLE {search.FTS_VOCABULARY} USING fts5vocab({search.FTS_TABLE}, 'row')",
]
SQLITE_BACKWARDS = [*SQLITE_DROP, *sqlite_create(before.SEARCHED_COLUMNS, before.SQLITE_TRIGGERS)]
# unaccent and pg_trgm are "trusted" extensions: the database's owner may create them.
POSTGRES_FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE TEXT SEARCH CONFIGURATION {search.POSTGRES_CONFIG} (COPY = english)",
    f"ALTER TEXT SEARCH CONFIGURATION {search.POSTGRES_CONFIG} "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
    f"ALTER TABLE evidence_source DROP COLUMN {search.POSTGRES_COLUMN}",
    f"ALTER TABLE evidence_source ADD COLUMN {search.POSTGRES_COLUMN} tsvector "
    f"GENERATED ALWAYS AS ({search.POSTGRES_VECTOR}) STORED",
    f"CREATE INDEX {search.POSTGRES_COLUMN_INDEX} ON evidence_source USING GIN ({search.POSTGRES_COLUMN})",
]
POSTGRES_BACKWARDS = [
    f"ALTER TABLE evidence_source DROP COLUMN {search.POSTGRES_COLUMN}",
    f"ALTER TABLE evidence_source ADD COLUMN {before.POSTGRES_COLUMN} tsvector "
    f"GENERATED ALWAYS AS ({before.POSTGRES_VECTOR}) STORED",
    f"CREATE INDEX {before.POSTGRES_COLUMN_INDEX} ON evidence_source USING GIN ({before.POSTGRES_COLUMN})",
    f"DROP TEXT SEARCH CONFIGURATION {search.POSTGRES_CONFIG}",
]


def fill_linked_terms(apps, schema_editor):
    Source = apps.get_model("evidence", "Source")
    refresh_linked_terms(Source.objects.values_list("pk", flat=True), (Source, apps.get_model("evidence", "AdverseEffectReport")))


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0013_source_et_al_and_journal_abbreviation'),
    ]

    operations = [
        migrations.CreateModel(
            name='ThesaurusEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('term', models.CharField(help_text='A word or phrase readers type, e.g. “liver damage”.', max_length=200, unique=True)),
                ('synonyms', models.TextField(help_text='Terms searched as well whenever a query contains the term, one per line, e.g. “liver injury”.')),
                ('origin', models.CharField(blank=True, help_text='E.g. “MeSH entry terms”, “readers’ words”.', max_length=300, verbose_name='where the terms come from')),
            ],
            options={
                'verbose_name_plural': 'thesaurus entries',
                'ordering': ['term'],
            },
        ),
        migrations.AddField(
            model_name='source',
            name='linked_terms',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(fill_linked_terms, migrations.RunPython.noop),
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARDS, "postgresql": POSTGRES_FORWARDS}),
            run({"sqlite": SQLITE_BACKWARDS, "postgresql": POSTGRES_BACKWARDS}),
        ),
    ]
