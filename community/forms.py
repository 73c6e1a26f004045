import uuid

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.models import EmailAddress

from .models import Membership


class MembershipApplicationForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("I am joining as"),
        choices=Membership.Kind.choices,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Membership
        fields = list(Membership.APPLICATION_FIELDS)
        help_texts = {
            "organisation": _("Your agency, institution or company."),
            "motivation": _("A few lines help the lab's editors vet your application."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in Membership.APPLICATION_REQUIRED:
            self.fields[name].required = True
        self.fields["organisation_type"].choices = [("", _("Choose…"))] + list(
            Membership.OrganisationType.choices
        )
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"
        self.fields["position"].widget.attrs["autocomplete"] = "organization-title"


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the applicant)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )


class _Discard(Exception):
    """Rolls back the stand-in account of :meth:`SignupForm.try_save`."""


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, taking as long for a known address as for a new one.

    With ``ACCOUNT_PREVENT_ENUMERATION`` allauth answers both alike, but for a known address it
    skips the password hashing and the account rows, so the answer came ten times faster and
    told who has an account. Here a known address does the same work on a stand-in account
    inside a transaction that is then rolled back: nothing is stored, nothing is sent but
    allauth's "you already have an account" email (tests/community/test_signup_timing.py).
    """

    def try_save(self, request):
        if self.account_already_exists:
            self._same_work_as_a_new_account(request)
        return super().try_save(request)

    def _same_work_as_a_new_account(self, request):
        adapter = get_adapter(request)
        stand_in = f"unused-{uuid.uuid4().hex}@example.invalid"
        try:
            with transaction.atomic():
                user = adapter.new_user(request)
                user.email = user.username = stand_in
                user.set_password(self.cleaned_data.get("password1") or "")
                user.save()
                EmailAddress.objects.create(user=user, email=stand_in, primary=True)
                raise _Discard
        except _Discard:
            pass
