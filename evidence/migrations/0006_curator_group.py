"""The Curator group and its permissions, as data: every database gets them by migrating."""
from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_curator_group(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); make this app's now.
    app_config = apps.get_app_config("evidence")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Curator")
    # Every evidence record (sources, authors, claims, evidence, articles, adverse-effect data and their
    # history), never users or groups.
    group.permissions.set(Permission.objects.filter(content_type__app_label="evidence"))


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0005_history_and_versions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_curator_group, migrations.RunPython.noop)]
