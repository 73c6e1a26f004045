"""The events app's models, one module per concern:

- ``topics``: the editors' topic snippet;
- ``events/records.py`` (outside this package, so the services can import it without
  loading the pages): registrations and their reads, the event's lock row and calendar
  identity, members' calendar links;
- ``pages``: the index and event pages, which build their own context and take the
  registration form's POST through ``events.services``.

The choices live in ``events/choices.py`` and are re-exported here for callers that read
them next to the models."""

from ..choices import (  # noqa: F401
    ACTIVE_STATUSES,
    CANCELLABLE_STATUSES,
    SEAT_STATUSES,
    Attendance,
    EventFormat,
    EventKind,
    EventStatus,
    RegistrationAudience,
    RegistrationStatus,
    Repeat,
)
from ..records import (  # noqa: F401
    SEAT_Q,
    CalendarToken,
    EventCalendarState,
    EventLock,
    Registration,
    RegistrationQuerySet,
    seat_q,
)
from .pages import EventIndexPage, EventPage, EventPageQuerySet  # noqa: F401, E402
from .topics import Topic  # noqa: F401
