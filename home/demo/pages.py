"""The demo pages (copy: content/pages.json): the home page, three standard pages and three
forms, each opening with the sample notice and published with a revision."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils.html import escape
from django.utils.translation import gettext as _

from wagtail.models import Page, Site
from wagtail.rich_text import RichText

from community import links

from ..models import FormField, FormPage, HomePage, StandardPage
from .base import DemoRefused, Report, load, sample_notice

HOME_SLUG = "home"
# Title Wagtail's initial migration gives the placeholder page it creates under the root.
WAGTAIL_WELCOME_TITLE = "Welcome to your new Wagtail site!"

PAGE_TYPES = {"HomePage": HomePage, "StandardPage": StandardPage, "FormPage": FormPage}


def find_home() -> HomePage | None:
    return HomePage.objects.filter(depth=2, slug=HOME_SLUG).first() or HomePage.objects.first()


def seed_pages(report: Report, *, rebuild_home: bool) -> dict[str, Page]:
    """Create the missing pages and fill in those just created; returns them by key."""
    content = _fill_in_placeholders(load("pages"))
    home_spec, *specs = content["pages"]
    home, home_created = _ensure_home(report, home_spec, rebuild=rebuild_home)
    pages: dict[str, Page] = {"home": home}
    created: dict[str, bool] = {"home": home_created}
    # Pages exist before any is filled, so calls to action can link to one another.
    for spec in specs:
        pages[spec["key"]], created[spec["key"]] = _ensure_child(
            report, pages[spec["parent"]], PAGE_TYPES[spec["type"]], spec["slug"], spec["title"]
        )
    fillers = {HomePage: _fill_home, StandardPage: _fill_standard, FormPage: _fill_form}
    for spec in content["pages"]:
        if created[spec["key"]]:
            page = pages[spec["key"]]
            fillers[type(page)](page, spec, pages, content)
            page.save_revision().publish()
    return pages


def _fill_in_placeholders(value):
    """``{count}``: the member-country count from settings; ``{notice}``: the sample notice."""
    if isinstance(value, dict):
        return {key: _fill_in_placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_in_placeholders(item) for item in value]
    if isinstance(value, str):
        count = str(settings.MEMBER_COUNTRY_COUNT)
        return value.replace("{count}", count).replace("{notice}", sample_notice())
    return value


# --- Finding or creating the pages --------------------------------------------------------


def _is_wagtail_welcome(page: Page) -> bool:
    """Only the untouched placeholder from Wagtail's initial migration may be deleted."""
    return (
        page.content_type_id == ContentType.objects.get_for_model(Page).pk
        and page.numchild == 0
        and page.title == WAGTAIL_WELCOME_TITLE
    )


def _ensure_home(report: Report, spec: dict, *, rebuild: bool) -> tuple[HomePage, bool]:
    home = find_home()
    if home is not None:
        _point_default_site_at(home)
        # The empty home page a fresh migrate creates has never been edited: fill it in.
        fill = rebuild or (home.latest_revision_id is None and home.numchild == 0)
        report.note(_("page"), home.title, created=fill)
        return home, fill
    root = Page.get_first_root_node()
    welcome = root.get_children().filter(slug=HOME_SLUG).first()
    if welcome is not None:
        if not _is_wagtail_welcome(welcome):
            raise DemoRefused(
                _(
                    "A page with the slug “%(slug)s” already sits under the root and is not "
                    "Wagtail's welcome page; move or rename it, then run the command again."
                )
                % {"slug": HOME_SLUG}
            )
        # Free the slug now; the placeholder goes once no site points at it.
        Page.objects.filter(pk=welcome.pk).update(slug=f"wagtail-welcome-{welcome.pk}")
    home = HomePage(title=spec["title"], slug=HOME_SLUG, hero_title=spec["hero_title"])
    root.add_child(instance=home)
    if welcome is not None:
        Site.objects.filter(root_page_id=welcome.pk).update(root_page=home)
        welcome.delete()
    _point_default_site_at(home)
    report.note(_("page"), home.title, created=True)
    return home, True


def _point_default_site_at(home: HomePage) -> None:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        hostname, port = links.site_host_and_port()
        Site.objects.create(
            hostname=hostname,
            port=port,
            site_name=settings.WAGTAIL_SITE_NAME,
            root_page=home,
            is_default_site=True,
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()


def _ensure_child(report: Report, parent: Page, model, slug: str, title: str):
    existing = parent.get_children().filter(slug=slug).specific().first()
    if existing is not None:
        report.note(_("page"), existing.title, created=False)
        return existing, False
    page = model(title=title, slug=slug)
    parent.add_child(instance=page)
    report.note(_("page"), title, created=True)
    return page, True


# --- Filling them in ----------------------------------------------------------------------


def _fill_home(page: HomePage, spec: dict, pages: dict[str, Page], content: dict) -> None:
    page.title = spec["title"]
    page.hero_title = spec["hero_title"]
    page.hero_text = spec["hero_text"]
    page.hero_cta_label = spec["hero_cta_label"]
    page.hero_cta_page = pages[spec["hero_cta_page"]]
    page.introduction = _rich_text(spec["introduction"], content)
    page.body = _body(spec["body"], pages, content)


def _fill_standard(page: StandardPage, spec: dict, pages: dict[str, Page], content: dict) -> None:
    page.introduction = spec["introduction"]
    page.body = _body(spec["body"], pages, content)


def _fill_form(page: FormPage, spec: dict, pages: dict[str, Page], content: dict) -> None:
    forms = content["forms"]
    page.introduction = _rich_text([{"p": sample_notice()}, {"p": spec["introduction"]}], content)
    page.thank_you_text = _rich_text([{"p": forms["thank_you"]}], content)
    page.to_address = forms["to_address"]
    page.from_address = forms["from_address"]
    page.subject = spec["subject"]
    fields = [*forms["first_fields"], *spec["fields"]]
    page.form_fields = [_form_field(i, field, content) for i, field in enumerate(fields)]


def _form_field(sort_order: int, spec: dict, content: dict) -> FormField:
    values = dict(spec)
    required = values.pop("required", True)
    if "choices" in values:
        values["choices"] = "\n".join(_list(values["choices"], content))
    return FormField(sort_order=sort_order, required=required, **values)


def _body(blocks: list[dict], pages: dict[str, Page], content: dict) -> list[tuple]:
    """StreamField blocks from the file's body, after the sample notice every page opens with."""
    body = [("rich_text", RichText(_rich_text([{"p": sample_notice()}], content)))]
    for block in blocks:
        kind = block["type"]
        if kind == "heading":
            body.append(("heading", block["text"]))
        elif kind == "rich_text":
            body.append(("rich_text", RichText(_rich_text(block["content"], content))))
        elif kind == "quote":
            body.append(("quote", {"quote": block["quote"], "attribution": block["attribution"]}))
        elif kind == "call_to_action":
            page = pages[block["page"]] if "page" in block else None
            url = content["links"][block["link"]] if "link" in block else block.get("url", "")
            body.append(
                (
                    "call_to_action",
                    {
                        "title": block["title"],
                        "text": block.get("text", ""),
                        "button_label": block["button_label"],
                        "page": page,
                        "url": url,
                    },
                )
            )
        else:
            raise ValueError(f"content/pages.json: unknown block type {kind!r}")
    return body


def _rich_text(parts: list[dict], content: dict) -> str:
    """HTML from ``{"p": text}``, ``{"h3": text}``, ``{"ul": items}`` and ``{"ol": items}``.

    Text is escaped; a list item is a string or ``{"term", "detail"}`` (the term in bold), and
    a list given as a string names one of the file's shared ``lists``.
    """
    html = []
    for part in parts:
        ((tag, value),) = part.items()
        if tag in ("p", "h3"):
            html.append(f"<{tag}>{escape(value)}</{tag}>")
        elif tag in ("ul", "ol"):
            items = "".join(f"<li>{_item(item)}</li>" for item in _list(value, content))
            html.append(f"<{tag}>{items}</{tag}>")
        else:
            raise ValueError(f"content/pages.json: unknown rich-text part {tag!r}")
    return "".join(html)


def _item(item) -> str:
    if isinstance(item, dict):
        return f"<b>{escape(item['term'])}</b>: {escape(item['detail'])}"
    return escape(item)


def _list(value, content: dict) -> list:
    return content["lists"][value] if isinstance(value, str) else value
