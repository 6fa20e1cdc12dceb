import secrets

from django.db import migrations, models


def first_version(apps, schema_editor):
    # A random start, as evidence.caching does when the row is missing: a database restored or emptied and
    # refilled never counts again through numbers a shared cache still holds figures for.
    apps.get_model("evidence", "DataVersion").objects.get_or_create(pk=1, defaults={"n": secrets.randbits(48)})


class Migration(migrations.Migration):
    dependencies = [("evidence", "0016_screening")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("n", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
