"""The events app's rules, registered with the one access policy (community.access)."""

import datetime as dt

from django.utils import timezone

from community import access, files
from community.access import Audience, Role, rule

from .choices import SEAT_STATUSES, RegistrationAudience
from .records import Registration


@rule("events.register")
def may_register(user, event) -> bool:
    """Who the event's registration audience admits, among those who may see it: verified
    members of that audience, or — on public events open to "signed_in" — any account with a
    confirmed email address (outside speakers, academia, civil society)."""
    who = getattr(event, "registration_audience", RegistrationAudience.NOBODY)
    if who == RegistrationAudience.NOBODY or not access.can(user, "view", event):
        return False
    return _admitted(user, event, who)


def _admitted(user, event, who) -> bool:
    """Whether the registration level ``who`` admits ``user`` today, window and seats aside."""
    user_roles = access.roles(user)
    if Role.ANONYMOUS in user_roles:
        return False
    if who == RegistrationAudience.SIGNED_IN:
        return event.audience == Audience.PUBLIC and access.has_verified_email(user)
    if Role.PENDING in user_roles:
        return False
    return who in access.audiences(user)


def _held_level(event) -> str:
    """The level a registration is judged by. With registration switched off since ("No
    registration"), the widest one the event's audience allows: switching it off closes
    the form, it takes no one's place."""
    who = getattr(event, "registration_audience", RegistrationAudience.NOBODY)
    if who != RegistrationAudience.NOBODY:
        return who
    return RegistrationAudience.SIGNED_IN if event.audience == Audience.PUBLIC else event.audience


@rule("events.manage_registrations")
def may_manage(user, obj) -> bool:
    return access.is_staff(user)


@rule("events.see_join_link")
def may_see_join_link(user, registration) -> bool:
    """The join link is a capability of a seat, asked for anew on every page, feed and email:
    only the registrant themself, with a confirmed (or attended) seat, at a hybrid event only
    when attending online, and only while the event's registration level still admits them.
    A membership suspended, expired or past its date is "pending": it keeps the links of
    public events open to anyone signed in (it could register for those today) and loses
    every other, whatever it registered for while it was verified."""
    if registration is None or user is None or not user.is_authenticated:
        return False
    if registration.user_id != user.pk or registration.status not in SEAT_STATUSES:
        return False
    if not registration.attends_online:
        return False
    event = registration.event
    return access.can(user, "view", event) and _admitted(user, event, _held_level(event))


@rule("events.view_release")
def may_view_release(user, item) -> bool:
    """``item`` is ``(event, release_value, registration_or_None)`` for a material/recording.

    Registrants (confirmed or attended) see it from publication; verified members from the
    members date (or at once when released to members); everyone who may see the event from
    the public date (or at once when released to everyone).
    """
    event, release, registration = item
    if not access.can(user, "view", event):
        return False
    if access.is_staff(user):
        return True
    today = timezone.localdate()
    stage = release.get("available_to", "registrants")
    public_from = release.get("public_from")
    members_from = release.get("members_from")
    if stage == "public" or (_reached(public_from, today)):
        return True
    is_member = Audience.MEMBERS in access.audiences(user)
    if is_member and (stage == "members" or _reached(members_from, today)):
        return True
    return bool(
        registration is not None
        and registration.user_id == getattr(user, "pk", None)
        and registration.status in SEAT_STATUSES
    )


def _reached(day, today) -> bool:
    if not day:
        return False
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return day <= today


# Stream fields whose items carry a release stage: a file in them follows that stage.
_RELEASE_FIELDS = {"materials": "document", "recordings": "media"}


@files.attachment_rule("events.eventpage")
def may_download_from_event(user, item) -> bool:
    """``item`` is ``(event, file, field_names)``: a file an event uses. It goes to whoever may
    see the live event where it is used outside materials and recordings (the body), and
    otherwise only through an item of those streams whose release stage admits the viewer."""
    event, file, fields = item
    if not event.live or not access.can(user, "view", event):
        return False
    if not files.view_restrictions_allow(user, event):
        return False
    if fields - set(_RELEASE_FIELDS):
        return True
    registration = Registration.objects.active_for(user, event)
    for field, key in _RELEASE_FIELDS.items():
        if field not in fields:
            continue
        for block in getattr(event, field):
            attached = block.value.get(key)
            if (
                attached is not None
                and type(attached)._meta.concrete_model is type(file)._meta.concrete_model
                and attached.pk == file.pk
                and access.can(user, "events.view_release", (event, block.value, registration))
            ):
                return True
    return False
