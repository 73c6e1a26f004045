"""The member's own preferences. For now one: the time zone event times are shown in."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .models import Membership
from .services import membership_for
from .timezones import listed_zones, validate_time_zone
from .zone_picker import TimeZoneSelect


def set_time_zone(user, zone: str) -> Membership:
    """Save ``zone`` ("" = not set: pages then use the browser's zone) as the member's zone.

    Validates again here so that no caller can store a name the pages cannot render.
    """
    zone = (zone or "").strip()
    if zone:
        validate_time_zone(zone)
    membership = membership_for(user)
    if membership.time_zone != zone:
        membership.time_zone = zone
        membership.save(update_fields=["time_zone"])
    return membership


class PreferencesForm(forms.Form):
    # A plain field with the validator rather than a ChoiceField: the validator is the one
    # rule for zones across the site, and its message is the one people should see.
    time_zone = forms.CharField(
        label=gettext_lazy("Time zone"),
        required=False,
        validators=[validate_time_zone],
        help_text=gettext_lazy(
            "Event times are shown in the event's own time zone and in yours. Without a choice "
            "here, pages use your browser's time zone. Zones are listed by region and named "
            "after a city: with the list selected, type a city's first letters to jump to it."
        ),
    )

    def clean_time_zone(self):
        # New choices come from the list; a legacy alias already stored ("US/Eastern") may
        # be kept as it is, so that saving other preferences never changes it.
        zone = self.cleaned_data["time_zone"]
        if zone and zone not in listed_zones() and zone != self.initial.get("time_zone"):
            raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")
        return zone

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget = TimeZoneSelect(
            attrs={"autocomplete": "off"},
            blank_label=_("Not set — use my browser's zone"),
            stored=self.initial.get("time_zone") or "",
        )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Any signed-in person may set their zone, pending applicants included."""
    membership = membership_for(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST, initial={"time_zone": membership.time_zone})
        if form.is_valid():
            try:
                set_time_zone(request.user, form.cleaned_data["time_zone"])
            except ValidationError as exc:
                form.add_error("time_zone", exc)
            else:
                messages.success(request, _("Your preferences are saved."))
                return redirect("preferences")
        status = 400
    else:
        form = PreferencesForm(initial={"time_zone": membership.time_zone})
        status = 200
    return render(request, "community/preferences.html", {"form": form}, status=status)
