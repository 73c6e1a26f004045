"""Templates in one convention (issue 9, point 12; docs/templates.md): emails under
``<app>/email/``, partials in ``includes/`` folders without a leading underscore, block
templates named after their block, and no query methods called from templates."""

import ast
import re
from pathlib import Path

from django.core import mail
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

import pytest

from community import emails
from community.models import OutboundEmail
from events.choices import EmailKind
from tests.factories import make_member

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
APPS = ("community", "events", "home", "forums", "resources")
EMAIL_NAME = re.compile(r"^(?P<app>[a-z]+)/email/(?P<name>[a-z][a-z0-9_]*)$")
# Rendered around a message the editor writes, subject included: no subject template.
EMAILS_WITHOUT_SUBJECT = {"events/email/message.txt"}


def queue_email_templates():
    """(module, template or f-string prefix, is_dynamic) of every ``queue_email(template=…)``
    call in the apps' code."""
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name != "queue_email":
                    continue
                for keyword in node.keywords:
                    if keyword.arg != "template":
                        continue
                    value = keyword.value
                    if isinstance(value, ast.Constant):
                        found.append((module, value.value, False))
                    elif isinstance(value, ast.JoinedStr):
                        prefix = "".join(
                            part.value for part in value.values if isinstance(part, ast.Constant)
                        )
                        found.append((module, prefix, True))
                    else:
                        found.append((module, ast.unparse(value), True))
    return found


def assert_email_exists(template):
    get_template(f"{template}.txt")
    get_template(f"{template}_subject.txt")


def test_the_scan_finds_the_emails_of_each_app():
    modules = {module for module, _template, _dynamic in queue_email_templates()}
    assert {"community.services", "home.models", "events.emails"} <= modules


def test_every_queued_email_template_exists_under_its_apps_email_folder():
    for module, template, dynamic in queue_email_templates():
        app = module.split(".")[0]
        if dynamic:
            # One caller picks the template by kind; every kind it accepts must have one.
            assert (module, template) == ("events.emails", "events/email/"), (
                f"{module} builds an email template name: list its names in this test"
            )
            for kind in EmailKind:
                assert_email_exists(f"events/email/{kind}")
            continue
        match = EMAIL_NAME.match(template)
        assert match, f"{module}: {template!r} is not <app>/email/<name>"
        assert match["app"] == app, f"{module} queues another app's email {template!r}"
        assert_email_exists(template)


def test_email_folders_hold_emails_and_their_includes_only():
    for app in APPS:
        folder = TEMPLATES / app / "email"
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if path.is_dir() or "includes" in path.relative_to(folder).parts:
                continue
            relative = path.relative_to(TEMPLATES).as_posix()
            stem = path.stem.removesuffix("_subject")
            assert path.suffix in (".txt", ".html"), relative
            if relative in EMAILS_WITHOUT_SUBJECT:
                continue
            assert (folder / f"{stem}_subject.txt").exists(), f"{relative} has no subject"
            assert (folder / f"{stem}.txt").exists(), f"{relative} has no text part"


def test_the_old_shared_email_folder_is_gone():
    assert not (TEMPLATES / "email").exists()
    for name in ("email/membership_approved.txt", "email/form_submission.txt"):
        with pytest.raises(TemplateDoesNotExist):
            get_template(name)


@pytest.mark.django_db
def test_a_queued_email_is_sent_as_rendered_whatever_happens_to_its_template(
    monkeypatch, django_capture_on_commit_callbacks
):
    """The outbox row stores the rendered subject and bodies, not the template's name: a row
    queued before a deploy that moved or changed its template is sent as it was written."""
    user = make_member()
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record = emails.queue_email(
            key="sample-before-deploy",
            to=[user.email],
            template="community/email/membership_approved",
            context={"membership": user.membership},
        )
    subject, body = record.subject, record.body_text
    assert not any("template" in field.name for field in OutboundEmail._meta.get_fields())

    def no_templates(*args, **kwargs):
        raise TemplateDoesNotExist("after the deploy")

    monkeypatch.setattr(emails, "render_to_string", no_templates)
    for callback in callbacks:
        callback()
    record.refresh_from_db()
    assert record.status == OutboundEmail.Status.SENT
    assert [(m.subject, m.body) for m in mail.outbox] == [(subject, body)]


# --- Partials and blocks ------------------------------------------------------------------

INCLUDE = re.compile(r"""\{%\s*include\s+["']([^"']+)["']""")
# Templates of Wagtail and allauth we include as they are.
THIRD_PARTY = ("wagtailadmin/", "allauth/")


def own_templates():
    return [path for path in TEMPLATES.rglob("*") if path.is_file()]


def test_no_template_name_starts_with_an_underscore():
    assert [p for p in own_templates() if p.name.startswith("_")] == []


def test_every_included_template_is_a_partial_or_a_block_and_exists():
    for path in own_templates():
        for included in INCLUDE.findall(path.read_text()):
            where = f"{path.relative_to(TEMPLATES)} includes {included}"
            if included.startswith(THIRD_PARTY):
                continue
            parts = included.split("/")
            assert "includes" in parts or "blocks" in parts, where
            assert (TEMPLATES / included).exists(), where


def test_block_templates_are_named_after_their_block():
    for path in TEMPLATES.rglob("blocks/*.html"):
        assert path.stem.endswith("_block"), path.relative_to(TEMPLATES)


def test_blocks_name_existing_templates():
    from events import blocks as event_blocks
    from home import blocks as home_blocks

    for module in (home_blocks, event_blocks):
        for value in vars(module).values():
            meta = getattr(value, "_meta_class", None)
            template = getattr(meta, "template", None)
            if template:
                assert (TEMPLATES / template).exists(), (value, template)


# --- No computed contexts -----------------------------------------------------------------

QUERY_CALL = re.compile(
    r"\{[{%][^}]*\.(all|count|filter|exclude|exists|order_by|first|last|get_children|values)\b"
)
FORLOOP = re.compile(r"\bforloop\.\w+")
# Known, listed in docs/templates.md, to go with the events pages' contexts (issue 9, point 1).
QUERY_CALLS_TO_GO = {"events/includes/event_card.html"}


def test_templates_call_no_query_methods():
    found = {
        path.relative_to(TEMPLATES).as_posix()
        for path in own_templates()
        if path.suffix in (".html", ".txt") and QUERY_CALL.search(FORLOOP.sub("", path.read_text()))
    }
    assert found == QUERY_CALLS_TO_GO


def test_no_template_tag_library_queries_for_navigation_or_account_state():
    """The header's navigation and the account's two-step state come from context processors
    (home.context_processors, community.context_processors), not from tags."""
    from community.templatetags import community_account

    assert set(community_account.register.tags) == set()
    assert set(community_account.register.filters) == {"device"}
    assert not (ROOT / "home" / "templatetags" / "navigation_tags.py").exists()
    for path in own_templates():
        text = path.read_text()
        assert "site_navigation" not in text, path
        assert "mfa_setup_required as" not in text and "staff_role_pending as" not in text, path
