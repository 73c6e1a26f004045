"""The events admin's permission policy: Wagtail asks it, it asks community/access.py."""

from django.contrib.auth import get_user_model

from wagtail.permission_policies.base import BasePermissionPolicy

from community import access

#: The one capability behind every events admin screen (``events/rules.py``).
MANAGE_REGISTRATIONS = "events.manage_registrations"


class EventStaffPolicy(BasePermissionPolicy):
    """Who may use the events admin, in Wagtail's terms, answered by the access policy.

    ``view`` (the events overview, a registrations listing and its exports) and ``change``
    (bulk decisions, messages to attendees, cancelling an event) are both the access policy's
    ``events.manage_registrations``: lab staff in a session that passed two-step
    verification. Every other action (``add``, ``delete``) is refused: members register
    through ``events.services``, nobody types a registration into the admin. Django model
    permissions play no part, so a hand-granted permission opens nothing here.
    """

    actions = frozenset({"view", "change"})

    def user_has_permission(self, user, action):
        return action in self.actions and access.can(user, MANAGE_REGISTRATIONS)

    def user_has_permission_for_instance(self, user, action, instance):
        # ``instance`` is the event (or a registration): the rule may look at it.
        return action in self.actions and access.can(user, MANAGE_REGISTRATIONS, instance)

    def users_with_any_permission(self, actions):
        # The access policy answers for a viewer in a request (staff roles are in force only
        # in a session that passed two-step verification), so no stored set of users holds
        # this permission. Wagtail asks this only to pick users to notify or assign
        # (workflows, page privacy), which registrations take no part in.
        return get_user_model().objects.none()


#: The policy of the Registration model, registered from ``events/wagtail_hooks.py``.
registration_policy = EventStaffPolicy("events.Registration")
