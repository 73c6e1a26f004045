"""The audit trail: every state change a service makes leaves a Wagtail log entry.

Services call :func:`record` inside the transaction that makes the change, so the entry and
the change commit or roll back together. Entries are Wagtail's own: ``ModelLogEntry`` for a
registration, membership or calendar link, ``PageLogEntry`` for an event page, written
through ``wagtail.log_actions.log``. Each app registers its action names, labels and
messages with the ``register_log_actions`` hook (see its ``wagtail_hooks.py``) through
:func:`register`, naming the capability of :mod:`community.access` that lets a person read
entries of that action. The admin's "Audit trail" report shows each person exactly the
entries those capabilities allow.

``data`` holds what an editor needs to follow a decision — the member it is about
(``member``: their user id), the event (``event``: its page id), old and new status or role,
a reason — and never a secret: no token or token hash, no join link, no registration
answers, no message body. :func:`record` refuses those keys.
"""

from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils.text import Truncator

from wagtail.log_actions import LogContext, LogFormatter, log
from wagtail.log_actions import registry as log_registry

from . import access

#: action name → the ``access.can`` capability that lets a person read its entries.
_readers: dict[str, str] = {}

# Keys that would put a secret (or a member's private words) into the trail.
FORBIDDEN_KEYS = frozenset(
    {"token", "token_hash", "secret", "join_url", "online_join_url", "answers", "body"}
)

REASON_SHOWN = 120


class AuditFormatter(LogFormatter):
    """A lab action: ``label`` names it in filters, :meth:`describe` words one entry."""

    #: The capability (``access.can(user, capability)``) needed to read these entries.
    capability = ""

    def format_message(self, log_entry):
        return self.describe(log_entry.data or {})

    def describe(self, data):
        return self.message

    @staticmethod
    def short(text) -> str:
        """A reason as the listing shows it; the entry keeps it whole."""
        return Truncator(str(text or "")).chars(REASON_SHOWN)


def register(actions, name: str, formatter_class: type[AuditFormatter]) -> None:
    """Register a lab action with Wagtail's log registry (from ``register_log_actions``)."""
    if not formatter_class.capability:
        raise ValueError(f"Log action {name!r} names no capability to read it")
    _readers[name] = formatter_class.capability
    actions.register_action(name)(formatter_class)


def lab_actions() -> dict[str, str]:
    log_registry.scan_for_actions()
    return dict(_readers)


def record(instance, action: str, *, actor, title: str = "", **data):
    """Log ``action`` on ``instance`` by ``actor`` (None: the system) in the current
    transaction. ``data`` must be JSON-serialisable and hold no secret."""
    if action not in lab_actions():
        raise ValueError(f"{action!r} is not a registered lab action")
    leaked = FORBIDDEN_KEYS & set(data)
    if leaked:
        raise ValueError(f"Audit data must not hold {sorted(leaked)}")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    # Wagtail's admin puts the signed-in editor and one UUID per request into the log
    # context. Name the actor explicitly (a system action must not borrow the editor who
    # happened to trigger it) and leave the UUID out: Wagtail's history views keep only the
    # latest entry per (UUID, action), which would hide all but one of a bulk decision.
    with LogContext(user=actor, generate_uuid=False):
        return log(instance=instance, action=action, title=title or None, data=data)


def readable_actions(user) -> list[str]:
    """The lab actions whose entries ``user`` may read, as the access policy answers."""
    return sorted(name for name, cap in lab_actions().items() if access.can(user, cap))


def may_read(user) -> bool:
    return bool(readable_actions(user))


def entries(user, log_model):
    """``log_model``'s entries of the lab actions ``user`` may read."""
    return log_model.objects.filter(action__in=readable_actions(user))


def _on_pages(log_model) -> bool:
    """Whether the log model is Wagtail's ``PageLogEntry`` (or another keyed by page)."""
    return any(field.name == "page" for field in log_model._meta.fields)


def log_models():
    return list(log_registry.get_log_entry_models())


def subject_ids(user) -> set[int]:
    """Members the readable entries are about (their ``data.member``)."""
    found = set()
    for model in log_models():
        found.update(
            entries(user, model)
            .filter(data__has_key="member")
            .order_by()
            .values_list("data__member", flat=True)
            .distinct()
        )
    return {int(pk) for pk in found if pk is not None}


def page_ids(user) -> set[int]:
    """Event pages the readable entries are about: logged on the page, or naming it."""
    found = set()
    for model in log_models():
        rows = entries(user, model).order_by()
        found.update(rows.filter(data__has_key="event").values_list("data__event", flat=True))
        if _on_pages(model):
            found.update(rows.values_list("page_id", flat=True).distinct())
    return {int(pk) for pk in found if pk is not None}


def content_type_ids(user) -> set[int]:
    found = set()
    for model in log_models():
        found.update(entries(user, model).get_content_type_ids())
    return found


def actor_ids(user) -> set[int]:
    found = set()
    for model in log_models():
        found.update(entries(user, model).get_user_ids())
    return {pk for pk in found if pk is not None}


def about_event(log_model, page_id) -> Q:
    """Entries about one event: those that name it, and those logged on its page."""
    q = Q(data__event=page_id)
    if _on_pages(log_model):
        q |= Q(page_id=page_id)
    return q


def content_types(user):
    return ContentType.objects.filter(pk__in=content_type_ids(user)).order_by("model")


def trail_url(**filters) -> str:
    """The admin's audit trail filtered on ``member`` (a user id) or ``event`` (a page id)."""
    return f"{reverse('audit_trail:index')}?{urlencode(filters)}"
