"""Every page type can be created and published by an editor through the admin's own form.

One ``WagtailPageTestCase.assertCanCreate`` per page type: the POST an editor's browser sends
(StreamFields and inline panels in the admin's form encoding, built with
``wagtail.test.utils.form_data``) must pass the editor's form, be published and land in the
explorer, so a panel or block that breaks the form fails here without a browser.
"""

import datetime as dt

from django.utils import timezone

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from community.models import Membership
from events.models import EventCalendarState, EventIndexPage, EventPage
from home.models import FormPage, HomePage, StandardPage
from tests.factories import EventIndexPageFactory, make_member
from tests.helpers import logged_in_client, site_home, wagtail_root


def list_block(values):
    """A ListBlock's form data: like a stream's, without block types."""
    data = {
        str(index): {"value": value, "deleted": "", "order": str(index)}
        for index, value in enumerate(values)
    }
    data["count"] = str(len(values))
    return data


class EditorCreatesPagesTest(WagtailPageTestCase):
    """The editor: a verified member in the editors group (staff role "editor"), signed in
    with a session that passed two-step verification, as the admin requires."""

    def setUp(self):
        self.editor = make_member(kind=Membership.Kind.OTHER, staff_role="editor")
        assert self.editor.groups.filter(name="Editors").exists()
        assert not self.editor.is_superuser
        self.client = logged_in_client(self.editor, mfa=True)

    def home(self):
        return site_home(slug="creation-home", hero_title="Sample lab")

    def test_home_page(self):
        root = wagtail_root()
        # One home page per site (max_count): the one migrations made goes first.
        for page in HomePage.objects.all():
            page.delete()
        self.assertCanCreate(
            Page.objects.get(pk=root.pk),
            HomePage,
            nested_form_data(
                {
                    "title": "Sample home",
                    "slug": "sample-home",
                    "hero_title": "Sample: responsible AI for policing",
                    "hero_text": "Sample hero text.",
                    "hero_cta_label": "",
                    "introduction": rich_text("<p>Sample <b>introduction</b>.</p>"),
                    "body": streamfield(
                        [
                            ("heading", "Sample heading"),
                            ("rich_text", rich_text("<p>Sample paragraph.</p>")),
                        ]
                    ),
                }
            ),
        )
        page = HomePage.objects.get(slug="sample-home")
        assert page.live
        assert [block.block_type for block in page.body] == ["heading", "rich_text"]

    def test_standard_page(self):
        self.assertCanCreate(
            self.home(),
            StandardPage,
            nested_form_data(
                {
                    "title": "Sample about",
                    "introduction": "Sample introduction to the lab.",
                    "body": streamfield(
                        [
                            ("heading", "Sample heading"),
                            ("rich_text", rich_text("<p>Sample <i>paragraph</i>.</p>")),
                            (
                                "quote",
                                {"quote": "Sample quote.", "attribution": "Sample source"},
                            ),
                        ]
                    ),
                }
            ),
        )
        page = StandardPage.objects.get(slug="sample-about")
        assert page.live
        assert page.body[2].value["attribution"] == "Sample source"

    def test_form_page(self):
        self.assertCanCreate(
            self.home(),
            FormPage,
            nested_form_data(
                {
                    "title": "Sample contact",
                    "introduction": rich_text("<p>Sample introduction.</p>"),
                    "form_fields": inline_formset(
                        [
                            {
                                "label": "Your email",
                                "field_type": "email",
                                "required": "on",
                                "choices": "",
                                "default_value": "",
                                "help_text": "",
                            },
                            {
                                "label": "Topic",
                                "field_type": "dropdown",
                                "choices": "Sample one\nSample two",
                                "default_value": "",
                                "help_text": "",
                            },
                        ]
                    ),
                    "thank_you_text": rich_text("<p>Sample thanks.</p>"),
                    "from_address": "no-reply@example.org",
                    "to_address": "staff@example.org",
                    "subject": "Sample contact message",
                }
            ),
        )
        page = FormPage.objects.get(slug="sample-contact")
        assert page.live
        assert [field.label for field in page.get_form_fields()] == ["Your email", "Topic"]

    def test_event_index_page(self):
        self.assertCanCreate(
            self.home(),
            EventIndexPage,
            nested_form_data({"title": "Events", "introduction": "Sample events."}),
        )
        assert EventIndexPage.objects.get(slug="events").live

    def test_event_page(self):
        index = EventIndexPageFactory(parent=self.home())
        day = timezone.localdate() + dt.timedelta(days=30)
        self.assertCanCreate(
            index,
            EventPage,
            nested_form_data(
                {
                    "title": "Sample workshop on bias testing",
                    "kind": "workshop",
                    "status": "scheduled",
                    "summary": "Sample workshop created through the admin's form.",
                    "time_zone": "Europe/Paris",
                    "start_date": day.isoformat(),
                    "start_time": "09:00",
                    "end_date": day.isoformat(),
                    "end_time": "12:30",
                    "repeat": "",
                    "repeat_interval": "1",
                    "repeat_until": "",
                    "occurrence_changes": streamfield([]),
                    "format": "hybrid",
                    "venue_name": "Sample Hall",
                    "venue_address": "1 Sample Street",
                    "venue_city": "Lyon",
                    "venue_country": "FR",
                    "online_join_url": "https://meet.example.org/sample-room",
                    "body": streamfield(
                        [
                            ("heading", "Sample programme"),
                            ("rich_text", rich_text("<p>Sample paragraph.</p>")),
                        ]
                    ),
                    "agenda": streamfield(
                        [
                            (
                                "item",
                                {
                                    "starts": "09:00",
                                    "ends": "10:00",
                                    "title": "Sample opening",
                                    "description": "",
                                    "speaker": "Sample Speaker",
                                },
                            )
                        ]
                    ),
                    "speakers": streamfield(
                        [
                            (
                                "speaker",
                                {
                                    "name": "Sample Speaker",
                                    "affiliation": "Sample Agency",
                                    "role": "Host",
                                },
                            )
                        ]
                    ),
                    "languages": "English",
                    "interpretation": "",
                    "audience": "members",
                    "registration_audience": "members",
                    "capacity": "20",
                    "country_quota": "",
                    "registration_opens": "",
                    "registration_closes": "",
                    "cancellation_deadline": "",
                    "questions": streamfield(
                        [
                            (
                                "text",
                                {"label": "Sample question", "help_text": "", "required": "on"},
                            ),
                            (
                                "choice",
                                {
                                    "label": "Sample choice",
                                    "help_text": "",
                                    "choices": list_block(["Sample one", "Sample two"]),
                                },
                            ),
                            ("yes_no", {"label": "Sample yes or no", "help_text": ""}),
                        ]
                    ),
                    "materials": streamfield([]),
                    "recordings": streamfield([]),
                }
            ),
        )
        event = EventPage.objects.get(slug="sample-workshop-on-bias-testing")
        assert event.live and event.format == "hybrid" and event.capacity == 20
        assert event.start == dt.datetime.combine(day, dt.time(9, 0), event.zone).astimezone(dt.UTC)
        assert [block.block_type for block in event.questions] == ["text", "choice", "yes_no"]
        assert list(event.questions[1].value["choices"]) == ["Sample one", "Sample two"]
        # Publishing through the admin recorded the event's calendar identity.
        assert EventCalendarState.objects.filter(event=event).exists()
