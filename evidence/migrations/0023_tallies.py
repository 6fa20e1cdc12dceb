"""The tallies of the home page and the adverse-effects overview (evidence/tallies.py). Their triggers
are not made here but after `migrate` (apps.keep_tallies), and dropped before it runs any migration
(apps.drop_tally_triggers), so that no migration, forwards or backwards, meets them."""

from django.db import migrations, models


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
    ]
