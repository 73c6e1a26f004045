"""StreamField blocks of event pages: questions, agenda, speakers, materials, recordings."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock

from wagtailmedia.blocks import AbstractMediaChooserBlock


class MediaChooserBlock(AbstractMediaChooserBlock):
    """An uploaded audio or video file; the event template renders the player."""

    def render_basic(self, value, context=None):
        return ""


class QuestionBase(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Question"), max_length=200)
    help_text = blocks.CharBlock(label=_("Help text"), max_length=300, required=False)
    required = blocks.BooleanBlock(label=_("Answer required"), required=False, default=True)


class TextQuestionBlock(QuestionBase):
    class Meta:
        icon = "form"
        label = _("Text question")


class ChoiceQuestionBlock(QuestionBase):
    choices = blocks.ListBlock(
        blocks.CharBlock(label=_("Choice"), max_length=120), label=_("Choices"), min_num=2
    )

    class Meta:
        icon = "list-ul"
        label = _("Choice question")


class YesNoQuestionBlock(QuestionBase):
    class Meta:
        icon = "tick"
        label = _("Yes/no question")


class QuestionsBlock(blocks.StreamBlock):
    text = TextQuestionBlock()
    choice = ChoiceQuestionBlock()
    yes_no = YesNoQuestionBlock()


class AgendaItemBlock(blocks.StructBlock):
    starts = blocks.TimeBlock(label=_("Starts (event's time zone)"))
    ends = blocks.TimeBlock(label=_("Ends"), required=False)
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    description = blocks.TextBlock(label=_("Description"), required=False)
    speaker = blocks.CharBlock(label=_("Speaker"), max_length=200, required=False)

    class Meta:
        icon = "time"
        template = "events/blocks/agenda_item_block.html"


class SpeakerBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("Name"), max_length=150)
    affiliation = blocks.CharBlock(label=_("Affiliation"), max_length=200, required=False)
    role = blocks.CharBlock(label=_("Role at the event"), max_length=100, required=False)

    class Meta:
        icon = "user"
        template = "events/blocks/speaker_block.html"


class ReleaseBlock(blocks.StructBlock):
    """Who may see an item: registrants first, then members, then everyone from a date."""

    available_to = blocks.ChoiceBlock(
        label=_("Available to"),
        choices=[
            ("registrants", _("Registrants only")),
            ("members", _("Verified members")),
            ("public", _("Everyone")),
        ],
        default="registrants",
    )
    members_from = blocks.DateBlock(
        label=_("Members from (optional)"),
        required=False,
        help_text=_("From this date verified members may see it too."),
    )
    public_from = blocks.DateBlock(
        label=_("Public from (optional)"),
        required=False,
        help_text=_("From this date everyone who may see the event may see it."),
    )


class MaterialBlock(ReleaseBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    document = DocumentChooserBlock(label=_("Document"), required=False)
    url = blocks.URLBlock(label=_("or link"), required=False)

    class Meta:
        icon = "doc-full"

    def clean(self, value):
        result = super().clean(value)
        if bool(result.get("document")) == bool(result.get("url")):
            message = _("Choose either a document or a link.")
            raise StructBlockValidationError(block_errors={"document": [message], "url": [message]})
        return result


class RecordingBlock(ReleaseBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    embed = EmbedBlock(label=_("Embedded video"), required=False)
    media = MediaChooserBlock(label=_("or uploaded video/audio"), required=False)

    class Meta:
        icon = "media"

    def clean(self, value):
        result = super().clean(value)
        if bool(result.get("embed")) == bool(result.get("media")):
            message = _("Choose either an embedded video or an upload.")
            raise StructBlockValidationError(block_errors={"embed": [message], "media": [message]})
        return result


class SkipOccurrenceBlock(blocks.StructBlock):
    date = blocks.DateBlock(label=_("Date to skip"))

    class Meta:
        icon = "cross"
        label = _("Skip a date")


class MoveOccurrenceBlock(blocks.StructBlock):
    date = blocks.DateBlock(label=_("Date the series would fall on"))
    new_date = blocks.DateBlock(label=_("Moved to date"))
    new_start_time = blocks.TimeBlock(label=_("New start time"), required=False)
    new_end_time = blocks.TimeBlock(label=_("New end time"), required=False)

    class Meta:
        icon = "date"
        label = _("Move one date")
