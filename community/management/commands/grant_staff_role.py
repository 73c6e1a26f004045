"""Give a member a staff role (editor or moderator) from the command line, or take it away.

`services.membership_set_staff_role` asks for an acting administrator; on a new site there
is none in the admin yet, and whoever can run manage.py already holds the keys. So the
command writes the field through the same step the service uses
(`services.membership_write_staff_role`), under the same row lock: `sync_groups` moves the
groups and the audit trail gets a `community.membership.staff_role` entry with no actor and
`via: "command line"`.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from allauth.account.models import EmailAddress

from community import services
from community.models import Membership

logger = logging.getLogger(__name__)

ROLES = {"editor": "editor", "moderator": "moderator", "none": ""}
VIA = "command line"  # what the audit entry says about where the change came from


class Command(BaseCommand):
    help = "Grant a staff role to a member: grant_staff_role EMAIL editor|moderator|none"

    def add_arguments(self, parser):
        parser.add_argument("email", help="the member's email address (as they sign in)")
        parser.add_argument("role", help="editor, moderator or none (removes the staff role)")

    def handle(self, *args, email, role, **options):
        role_key = role.strip().lower()
        if role_key not in ROLES:
            raise CommandError(
                _("Unknown role %(role)r: choose one of editor, moderator, none.") % {"role": role}
            )
        user = self._find_user(email.strip())

        with transaction.atomic():
            membership = services.membership_for(user)
            membership = Membership.objects.select_for_update().get(pk=membership.pk)
            previous = services.membership_write_staff_role(
                membership, staff_role=ROLES[role_key], by=None, via=VIA
            )

        logger.info(
            "staff role of user %s changed from %r to %r by manage.py grant_staff_role",
            user.pk,
            previous,
            membership.staff_role,
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("%(email)s: staff role is now %(role)s (was %(previous)s).")
                % {"email": user.email, "role": role_key, "previous": previous or "none"}
            )
        )
        if membership.staff_role and not membership.is_verified:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The membership is %(status)s: the role takes effect once an editor "
                        "or administrator verifies it."
                    )
                    % {"status": membership.get_status_display()}
                )
            )

    def _find_user(self, email):
        User = get_user_model()
        user_ids = set(
            EmailAddress.objects.filter(email__iexact=email).values_list("user_id", flat=True)
        )
        user_ids |= set(User.objects.filter(email__iexact=email).values_list("pk", flat=True))
        if not user_ids:
            raise CommandError(_("No account uses the email address %(email)r.") % {"email": email})
        if len(user_ids) > 1:
            raise CommandError(
                _("Several accounts use %(email)r; resolve that in the admin first.")
                % {"email": email}
            )
        return User.objects.get(pk=user_ids.pop())
