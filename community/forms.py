from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Membership
from .validators import multi_line, single_line


class MembershipApplicationForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("I am joining as"),
        choices=Membership.Kind.choices,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Membership
        fields = [
            "full_name",
            "kind",
            "organisation",
            "organisation_type",
            "country",
            "position",
            "motivation",
        ]
        help_texts = {
            "organisation": _("Your agency, institution or company."),
            "motivation": _("A few lines help the lab's editors vet your application."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("full_name", "organisation", "organisation_type", "country", "position"):
            self.fields[name].required = True
        self.fields["organisation_type"].choices = [("", _("Choose…"))] + list(
            Membership.OrganisationType.choices
        )
        # Names and titles go into email headers, lists and spreadsheets: one line only.
        for name in ("full_name", "organisation", "position"):
            self.fields[name].validators.append(single_line)
        self.fields["motivation"].validators.append(multi_line)
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"
        self.fields["position"].widget.attrs["autocomplete"] = "organization-title"


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the applicant)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )
