"""The default Site carries SITE_URL's hostname and port (Wagtail's admin links use it)."""

from django.db import migrations


def sync(apps, schema_editor):
    from community.links import sync_default_site

    sync_default_site(apps.get_model("wagtailcore", "Site"))


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0002_create_home_page"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
