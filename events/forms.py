"""The registration form: one field per question the editors added to the event."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .answers import TEXT_ANSWER_MAX, is_question_key, question_key
from .choices import Attendance, EventFormat

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class RegistrationForm(forms.Form):
    """Built from ``event.questions``; the service validates the answers again on its own."""

    def __init__(self, event, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        if event.format == EventFormat.HYBRID:
            self.fields["attendance"] = forms.ChoiceField(
                label=_("How will you attend?"),
                help_text=_(
                    "Seats in the room are limited; online places are not. The join link is "
                    "sent to online participants only."
                ),
                choices=Attendance.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose in person or online.")},
            )
        for block in event.questions:
            question = block.value
            common = {
                "label": question["label"],
                "help_text": question.get("help_text") or "",
                "required": bool(question.get("required")),
            }
            if block.block_type == "choice":
                field = forms.ChoiceField(
                    choices=[(choice, choice) for choice in question["choices"]],
                    widget=forms.RadioSelect,
                    **common,
                )
            elif block.block_type == "yes_no":
                field = forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
            else:
                field = forms.CharField(
                    max_length=TEXT_ANSWER_MAX,
                    widget=forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_ANSWER_MAX}),
                    **common,
                )
            self.fields[question_key(block.id)] = field

    def clean(self):
        cleaned = super().clean()
        if self.is_bound:
            # A hand-made POST naming a question that does not exist is refused outright
            # rather than silently dropped: the member should know what was kept.
            unknown = [key for key in self.data if is_question_key(key) and key not in self.fields]
            if unknown:
                raise forms.ValidationError(
                    _("The form does not match this event's questions. Please try again."),
                    code="unknown_question",
                )
        return cleaned

    def answers(self) -> dict:
        return {key: self.cleaned_data.get(key, "") for key in self.fields if is_question_key(key)}

    def attendance(self) -> str:
        return self.cleaned_data.get("attendance", "")
