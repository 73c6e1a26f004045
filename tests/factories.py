"""factory_boy factories shared by every test folder."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

import factory
import wagtail_factories
from allauth.account.models import EmailAddress

from community.models import AgencyDomain, Membership
from events.models import (
    Attendance,
    EventFormat,
    EventIndexPage,
    EventKind,
    EventPage,
    Registration,
    RegistrationAudience,
    RegistrationStatus,
    Repeat,
)

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class AgencyDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyDomain
        django_get_or_create = ("domain",)

    domain = factory.Sequence(lambda n: f"police{n}.example")
    organisation = "Sample National Police"
    country = "FR"


def make_member(
    kind=Membership.Kind.LAW_ENFORCEMENT,
    status=Membership.Status.VERIFIED,
    staff_role="",
    superuser=False,
    **user_kwargs,
):
    """A user with an applied membership, groups synced through the service."""
    from community import services

    user = UserFactory(is_superuser=superuser, **user_kwargs)
    membership = services.membership_for(user)
    membership.kind = kind
    membership.full_name = f"Sample {user.username.title()}"
    membership.organisation = "Sample Agency"
    membership.organisation_type = (
        Membership.OrganisationType.POLICE
        if kind == Membership.Kind.LAW_ENFORCEMENT
        else Membership.OrganisationType.ACADEMIA
    )
    membership.country = "SG"
    membership.position = "Analyst"
    membership.staff_role = staff_role
    membership.status = status
    membership.applied_at = timezone.now()
    if status == Membership.Status.VERIFIED:
        membership.verified_at = timezone.now()
        membership.expires_at = timezone.now() + timezone.timedelta(days=365)
    membership.save()
    services.sync_groups(membership)
    user.refresh_from_db()
    return user


# --- Pages -------------------------------------------------------------------------------
#
# Built on wagtail-factories' PageFactory: ``parent=`` adds the page under that page (as
# ``parent.add_child(instance=...)``, which runs the page's ``full_clean``). Unless
# ``publish=False`` the page is then published the way the admin does it, a revision and its
# publication, so ``page_published`` fires (an event's calendar state is created then).


def _publish(page, create, extracted, **kwargs):
    if create:
        page.save_revision().publish()
        page.refresh_from_db()


class PublishedPageFactory(wagtail_factories.PageFactory):
    class Meta:
        abstract = True
        skip_postgeneration_save = True

    class Params:
        publish = True

    published = factory.Maybe("publish", factory.PostGeneration(_publish))


def _default_site_root():
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True).root_page.specific


class EventIndexPageFactory(PublishedPageFactory):
    """The event index; by default under the default site's root page (a home page)."""

    class Meta:
        model = EventIndexPage

    parent = factory.LazyFunction(_default_site_root)
    title = "Events"
    slug = "events"


def _event_index():
    return EventIndexPage.objects.first() or EventIndexPageFactory()


def _days_from_now(days):
    return (timezone.now() + dt.timedelta(days=days)).date()


SAMPLE_JOIN_URL = "https://meet.example.org/secret-room-123"
SAMPLE_VENUE = {
    "venue_name": "Sample Hall",
    "venue_address": "1 Sample Street",
    "venue_city": "Lyon",
    "venue_country": "FR",
}


def _take_every_seat(event, create, extracted, **kwargs):
    """``full``: as many confirmed registrations as the event has seats, from new members."""
    if not create:
        return
    attendance = Attendance.IN_PERSON if event.format == EventFormat.HYBRID else ""
    for _ in range(event.capacity):
        Registration.objects.create(
            event=event,
            user=make_member(kind=Membership.Kind.OTHER),
            status=RegistrationStatus.CONFIRMED,
            attendance=attendance,
            confirmed_at=timezone.now(),
        )


class EventPageFactory(PublishedPageFactory):
    """A published public workshop a week from now, 09:00–12:00 in Paris, online, which
    verified members may register for; by default under the event index (made if missing).

    Traits: ``online``, ``in_person`` (a venue, no join link), ``hybrid`` (both),
    ``series_with_past_first_date`` (weekly, first date two weeks ago, last in five weeks) and
    ``full`` (two seats, both taken by confirmed registrations once the event is published;
    give ``capacity`` for another number)."""

    class Meta:
        model = EventPage

    class Params:
        online = factory.Trait(format=EventFormat.ONLINE, online_join_url=SAMPLE_JOIN_URL)
        in_person = factory.Trait(format=EventFormat.IN_PERSON, online_join_url="", **SAMPLE_VENUE)
        hybrid = factory.Trait(
            format=EventFormat.HYBRID, online_join_url=SAMPLE_JOIN_URL, **SAMPLE_VENUE
        )
        series_with_past_first_date = factory.Trait(
            start_date=factory.LazyFunction(lambda: _days_from_now(-14)),
            repeat=Repeat.WEEKLY,
            repeat_until=factory.LazyFunction(lambda: _days_from_now(35)),
        )
        full = factory.Trait(capacity=2)

    parent = factory.LazyFunction(_event_index)
    title = factory.Sequence(lambda n: f"Sample workshop {n}")
    kind = EventKind.WORKSHOP
    summary = "Sample event for tests."
    time_zone = "Europe/Paris"
    start_date = factory.LazyFunction(lambda: _days_from_now(7))
    start_time = dt.time(9, 0)
    end_date = factory.SelfAttribute("start_date")
    end_time = dt.time(12, 0)
    format = EventFormat.ONLINE
    online_join_url = SAMPLE_JOIN_URL
    audience = "public"
    registration_audience = RegistrationAudience.MEMBERS

    # Declared after ``published``: the seats are taken on the published event.
    seats_taken = factory.Maybe("full", factory.PostGeneration(_take_every_seat))
