"""Give a fresh database the site's own home page as the default site's root.

Wagtail's initial migration leaves a generic "Welcome to your new Wagtail site!" page there,
which renders Wagtail's placeholder instead of the site. A fresh deployment (migrate, no demo
content) must show the site's home page, so the untouched placeholder is replaced by an empty
HomePage that editors fill in. A tree that holds anything else is left alone.
"""

from django.conf import settings
from django.db import migrations

WELCOME_TITLE = "Welcome to your new Wagtail site!"
HOME_SLUG = "home"


def create_home_page(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Locale = apps.get_model("wagtailcore", "Locale")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    HomePage = apps.get_model("home", "HomePage")

    if HomePage.objects.exists():
        return
    root = Page.objects.filter(depth=1).order_by("path").first()
    if root is None:
        return
    page_type = ContentType.objects.get_for_model(Page)
    children = list(Page.objects.filter(depth=2).order_by("path"))
    welcome = children[0] if len(children) == 1 else None
    untouched = (
        welcome is not None
        and welcome.content_type_id == page_type.pk
        and welcome.title == WELCOME_TITLE
        and welcome.numchild == 0
        and welcome.latest_revision_id is None
    )
    if children and not untouched:
        return

    locale = (welcome and welcome.locale) or Locale.objects.order_by("pk").first()
    step = len(root.path)
    # Treebeard's path for the next child of the root: the last child's step plus one.
    last = int(children[-1].path[step:], 36) if children else 0
    path = root.path + _base36(last + 1).rjust(4, "0")
    name = settings.WAGTAIL_SITE_NAME
    home = HomePage.objects.create(
        title=name,
        draft_title=name,
        hero_title=name,
        slug=HOME_SLUG if welcome is None else f"{HOME_SLUG}-new",
        content_type=ContentType.objects.get_for_model(HomePage),
        locale=locale,
        path=path,
        depth=2,
        numchild=0,
        url_path=f"/{HOME_SLUG}/",
        live=True,
        has_unpublished_changes=False,
    )
    if welcome is not None:
        Site.objects.filter(root_page_id=welcome.pk).update(root_page_id=home.pk)
        welcome.delete()
        # The slug is free once the placeholder has gone; url_path already says /home/.
        HomePage.objects.filter(pk=home.pk).update(slug=HOME_SLUG)
    else:
        Page.objects.filter(pk=root.pk).update(numchild=1)
    if not Site.objects.filter(is_default_site=True).exists():
        Site.objects.create(
            hostname="localhost",
            port=80,
            site_name=name,
            root_page_id=home.pk,
            is_default_site=True,
        )


def _base36(number):
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_home_page, migrations.RunPython.noop)]
