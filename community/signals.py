"""Keep role groups and their permissions present after every migrate."""

from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.signals import authenticator_added

from . import access
from .models import Membership


@receiver(post_migrate)
def ensure_role_groups(sender, app_config=None, using="default", **kwargs):
    # Runs once, after the last app, when every app's permissions exist.
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if app_config is None or app_config is not with_models[-1]:
        return
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    groups = {
        name: Group.objects.using(using).get_or_create(name=name)[0]
        for name in access.MANAGED_GROUPS
    }
    editors = groups[access.GROUP_EDITORS]
    # Moderators moderate forums, not pages: drop what Wagtail's initial data granted them.
    moderators = groups[access.GROUP_MODERATORS]
    moderators.permissions.clear()
    GroupPagePermission.objects.using(using).filter(group=moderators).delete()
    GroupCollectionPermission.objects.using(using).filter(group=moderators).delete()
    wanted = [
        ("wagtailadmin", "access_admin"),
        ("community", "view_membership"),
        ("community", "change_membership"),
        ("community", "add_agencydomain"),
        ("community", "change_agencydomain"),
        ("community", "delete_agencydomain"),
        ("community", "view_agencydomain"),
        ("community", "view_outboundemail"),
        ("wagtailforms", "view_formsubmission"),
        ("wagtailforms", "delete_formsubmission"),
        ("wagtailimages", "add_image"),
        ("wagtailimages", "change_image"),
        ("wagtailimages", "choose_image"),
        ("wagtaildocs", "add_document"),
        ("wagtaildocs", "change_document"),
        ("wagtaildocs", "choose_document"),
        ("wagtailmedia", "add_media"),
        ("wagtailmedia", "change_media"),
        ("wagtailmedia", "choose_media"),
    ]
    perms = []
    for app_label, codename in wanted:
        perm = (
            Permission.objects.using(using)
            .filter(content_type__app_label=app_label, codename=codename)
            .first()
        )
        if perm is not None:
            perms.append(perm)
    editors.permissions.add(*perms)

    root_page = Page.objects.using(using).filter(depth=1).first()
    if root_page is not None:
        for codename in ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"):
            perm = (
                Permission.objects.using(using)
                .filter(content_type__app_label="wagtailcore", codename=codename)
                .first()
            )
            if perm is not None:
                GroupPagePermission.objects.using(using).get_or_create(
                    group=editors, page=root_page, permission=perm
                )
    root_collection = Collection.objects.using(using).filter(depth=1).first()
    if root_collection is not None:
        for perm in perms:
            if perm.content_type.app_label in {"wagtailimages", "wagtaildocs", "wagtailmedia"}:
                GroupCollectionPermission.objects.using(using).get_or_create(
                    group=editors, collection=root_collection, permission=perm
                )


@receiver(post_save, sender="auth.User")
def create_membership(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        Membership.objects.get_or_create(user=instance)


@receiver(authenticator_added)
def second_factor_proven(sender, request, user, authenticator, **kwargs):
    """Setting up an authenticator means entering a code from it: the session has passed
    two-step verification, so a new moderator or editor can go on to their work without
    signing in again (community.middleware.session_passed_mfa reads this record)."""
    if request is not None and getattr(request, "session", None) is not None:
        # allauth's own log of the session's authentication steps, which it fills at sign-in.
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
