from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("event-registrations/<int:event_id>/register/", views.register, name="register"),
    path("event-registrations/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("me/events/", views.my_events, name="my_events"),
]
