"""factory_boy factories shared by every test folder."""

from django.contrib.auth import get_user_model

import factory
from allauth.account.models import EmailAddress

from community.models import AgencyDomain, Membership

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
    from django.utils import timezone

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
