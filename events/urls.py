"""The events app's routes, included by community/urls.py above Wagtail's catch-all (the
feeds' paths contain dots, which Wagtail's page routes do not allow)."""

from django.urls import path

from . import feeds, views

app_name = "events"
urlpatterns = [
    path("event-registrations/<id:event_id>/register/", views.register, name="register"),
    path("event-registrations/<id:pk>/cancel/", views.cancel, name="cancel"),
    path("me/events/", views.my_events, name="my_events"),
    path("me/calendar/", feeds.calendar_token, name="calendar_token"),
    path("events/feed.ics", feeds.public_feed, name="feed"),
    path("events/<id:page_id>/event.ics", feeds.event_file, name="event_ics"),
    path("calendar/<str:token>/events.ics", feeds.token_events_feed, name="calendar_events"),
    path(
        "calendar/<str:token>/my-events.ics",
        feeds.token_my_events_feed,
        name="calendar_my_events",
    ),
]
