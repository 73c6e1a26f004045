"""Documents and uploaded recordings follow the access of the event that uses them (issue 8.8).

Each file is fetched over HTTP, per role and per release stage, with production-like settings
(DEBUG off, nothing serving MEDIA_URL). A refusal must look exactly like a missing file.
"""

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.test import override_settings
from django.utils import timezone

from wagtail.documents import get_document_model
from wagtail.models import ReferenceIndex

import pytest
from bs4 import BeautifulSoup
from wagtailmedia.models import get_media_model

from community import access
from events.models import EventPage, Registration
from tests.helpers import event_maker, published_event_index, site_home

pytestmark = pytest.mark.django_db

ROLES = ["anon", "pending", "member", "le_member", "expert", "editor"]
PDF = b"%PDF-1.4\n% sample restricted material\n"
AUDIO = bytes(range(256)) * 8  # 2048 bytes, every byte value: offsets are easy to check


@pytest.fixture
def event_index(db):
    return published_event_index(site_home(slug="files-home", hero_title="Lab"))


@pytest.fixture
def make_event(event_index):
    """Past events (three days ago, UTC) without registration or join link."""
    day = (timezone.now() - dt.timedelta(days=3)).date()
    return event_maker(
        event_index,
        title="Sample files event",
        summary="Sample event for file tests.",
        time_zone="UTC",
        start_date=day,
        end_date=day,
        online_join_url="",
        registration_audience="nobody",
    )


@pytest.fixture
def clients(client_for, request):
    def make(role):
        if role == "anon":
            return client_for(None)
        user = request.getfixturevalue(role)
        return client_for(user, mfa=role == "editor")

    return make


def make_document(name="sample-brief.pdf", content=PDF):
    return get_document_model().objects.create(
        title="Sample brief", file=ContentFile(content, name=name)
    )


def make_media(name="sample-talk.mp3", kind="audio", thumbnail=None):
    fields = {"title": "Sample talk", "type": kind, "duration": 1}
    media = get_media_model()(file=ContentFile(AUDIO, name=name), **fields)
    if thumbnail:
        media.thumbnail = ContentFile(b"\x89PNG sample", name=thumbnail)
    media.save()
    return media


def material(document, available_to="registrants", members_from=None, public_from=None):
    return {
        "type": "material",
        "value": {
            "available_to": available_to,
            "members_from": members_from,
            "public_from": public_from,
            "title": "Sample slides",
            "document": document.pk,
            "url": "",
        },
    }


def recording(media, available_to="registrants", members_from=None, public_from=None):
    return {
        "type": "recording",
        "value": {
            "available_to": available_to,
            "members_from": members_from,
            "public_from": public_from,
            "title": "Sample recording",
            "embed": "",
            "media": media.pk,
        },
    }


def media_url(media):
    return f"/media-files/{media.pk}/{media.filename}"


# --- the reference index is what finds a file's pages ---------------------------------------


def test_publishing_an_event_indexes_its_document_and_recording(make_event):
    document, media = make_document(), make_media()
    event = make_event(materials=[material(document)], recordings=[recording(media)])
    for file in (document, media):
        paths = set(ReferenceIndex.get_references_to(file).values_list("object_id", "model_path"))
        assert {object_id for object_id, _ in paths} == {str(event.pk)}
        assert {path.split(".")[0] for _, path in paths} <= {"materials", "recordings"}


# --- documents: audience of the event -----------------------------------------------------

AUDIENCE_EXPECT = {
    # event audience: roles that get the public-stage document
    "public": set(ROLES),
    "members": {"member", "le_member", "expert", "editor"},
    "law_enforcement": {"le_member", "editor"},
    "staff": {"editor"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("audience", list(AUDIENCE_EXPECT))
def test_document_follows_the_audience_of_its_event(role, audience, clients, make_event):
    document = make_document()
    make_event(audience=audience, materials=[material(document, available_to="public")])
    response = clients(role).get(document.url)
    if role in AUDIENCE_EXPECT[audience]:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment")
        assert "sample-brief.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
    else:
        assert response.status_code == 404


# --- release stages, for documents and recordings alike -----------------------------------

TODAY = dt.date.today()
PAST = (TODAY - dt.timedelta(days=2)).isoformat()
FUTURE = (TODAY + dt.timedelta(days=30)).isoformat()

# stage options -> roles that may download (the le_member holds an "attended" registration)
STAGE_EXPECT = {
    "registrants": ({}, {"le_member", "editor"}),
    "members": ({"available_to": "members"}, {"member", "le_member", "expert", "editor"}),
    "members_from_past": ({"members_from": PAST}, {"member", "le_member", "expert", "editor"}),
    "members_from_future": ({"members_from": FUTURE}, {"le_member", "editor"}),
    "public": ({"available_to": "public"}, set(ROLES)),
    "public_from_past": ({"public_from": PAST}, set(ROLES)),
    "public_from_future": ({"public_from": FUTURE}, {"le_member", "editor"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("stage", list(STAGE_EXPECT))
def test_files_follow_the_release_stage(role, stage, clients, make_event, le_member):
    options, allowed = STAGE_EXPECT[stage]
    document, media = make_document(), make_media()
    event = make_event(
        materials=[material(document, **options)], recordings=[recording(media, **options)]
    )
    Registration.objects.create(event=event, user=le_member, status="attended")
    client = clients(role)
    expected = 200 if role in allowed else 404
    assert client.get(document.url).status_code == expected
    response = client.get(media_url(media))
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == AUDIO
        assert response["Content-Type"] == "audio/mpeg"
        assert response["Accept-Ranges"] == "bytes"


def test_a_cancelled_registration_does_not_open_registrant_files(clients, make_event, le_member):
    document = make_document()
    event = make_event(materials=[material(document)])
    Registration.objects.create(event=event, user=le_member, status="cancelled")
    assert clients("le_member").get(document.url).status_code == 404


def test_one_page_that_allows_is_enough(clients, make_event):
    """The same document as a registrants-only item on one event and a public item on
    another: anyone may have it, since the second event hands it to everyone anyway."""
    document = make_document()
    make_event(audience="law_enforcement", materials=[material(document)])
    assert clients("anon").get(document.url).status_code == 404
    make_event(materials=[material(document, available_to="public")])
    assert clients("anon").get(document.url).status_code == 200


def test_a_file_removed_from_the_page_closes_even_before_the_index_catches_up(clients, make_event):
    """The reference index is updated by a task; while it lags, the page's current content
    decides."""
    from wagtail.signal_handlers import disable_reference_index_auto_update

    document = make_document()
    event = make_event(
        audience="public", body=[{"type": "rich_text", "value": document_link(document)}]
    )
    assert clients("anon").get(document.url).status_code == 200
    with disable_reference_index_auto_update():
        event.body = []
        event.save_revision().publish()
    assert ReferenceIndex.get_references_to(document).exists()  # stale on purpose
    assert clients("anon").get(document.url).status_code == 404


def test_unpublished_and_unused_files_are_for_staff_only(clients, make_event):
    draft_doc, unused_doc = make_document("sample-draft.pdf"), make_document("sample-unused.pdf")
    make_event(publish=False, live=False, materials=[material(draft_doc, available_to="public")])
    for role in ["anon", "member", "le_member"]:
        client = clients(role)
        assert client.get(draft_doc.url).status_code == 404
        assert client.get(unused_doc.url).status_code == 404
    editor_client = clients("editor")
    assert editor_client.get(draft_doc.url).status_code == 200
    assert editor_client.get(unused_doc.url).status_code == 200


def test_unpublishing_the_event_withdraws_its_files(clients, make_event):
    document, media = make_document(), make_media()
    event = make_event(
        materials=[material(document, available_to="public")],
        recordings=[recording(media, available_to="public")],
    )
    client = clients("anon")
    assert client.get(document.url).status_code == 200
    event.unpublish()
    assert client.get(document.url).status_code == 404
    assert client.get(media_url(media)).status_code == 404


def test_a_document_in_the_body_of_a_standard_page_follows_that_page(clients, event_index):
    from home.models import StandardPage

    document = make_document()
    page = event_index.get_parent().add_child(
        instance=StandardPage(
            title="Sample standard",
            slug="sample-standard",
            body=[{"type": "rich_text", "value": document_link(document)}],
        )
    )
    page.save_revision().publish()
    assert clients("anon").get(document.url).status_code == 200
    from wagtail.models import PageViewRestriction

    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    assert clients("anon").get(document.url).status_code == 404
    assert clients("pending").get(document.url).status_code == 200


def document_link(document):
    return f'<p><a linktype="document" id="{document.pk}">Sample brief</a></p>'


def test_a_document_linked_from_an_event_body_follows_the_event_audience(clients, make_event):
    document = make_document()
    make_event(
        audience="law_enforcement", body=[{"type": "rich_text", "value": document_link(document)}]
    )
    assert clients("le_member").get(document.url).status_code == 200
    assert clients("member").get(document.url).status_code == 404


def test_a_login_restricted_section_keeps_its_event_files_from_anonymous(clients, make_event):
    from wagtail.models import PageViewRestriction

    document = make_document()
    event = make_event(materials=[material(document, available_to="public")])
    PageViewRestriction.objects.create(
        page=event.get_parent(), restriction_type=PageViewRestriction.LOGIN
    )
    assert clients("anon").get(document.url).status_code == 404
    assert clients("pending").get(document.url).status_code == 200


def test_a_group_restricted_page_opens_its_files_to_that_group_only(clients, event_index):
    from django.contrib.auth.models import Group

    from wagtail.models import PageViewRestriction

    from home.models import StandardPage

    document = make_document()
    page = event_index.get_parent().add_child(
        instance=StandardPage(
            title="Sample members page",
            slug="sample-members-page",
            body=[{"type": "rich_text", "value": document_link(document)}],
        )
    )
    page.save_revision().publish()
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([Group.objects.get(name=access.GROUP_LAW_ENFORCEMENT)])
    assert clients("le_member").get(document.url).status_code == 200
    for role in ["anon", "pending", "member"]:
        assert clients(role).get(document.url).status_code == 404


# --- refusals look like missing files -------------------------------------------------------


def page_of(response):
    """The 404 page without what differs on every render (CSRF masks) or echoes the address
    (the language switcher's return path): what is left must be the same for both."""
    soup = BeautifulSoup(response.content, "html5lib")
    for field in soup.select("input[name=csrfmiddlewaretoken], input[name=next]"):
        field["value"] = ""
    return str(soup)


def test_a_restricted_document_answers_exactly_like_a_missing_one(clients, make_event):
    document = make_document()
    make_event(audience="law_enforcement", materials=[material(document)])
    client = clients("member")
    restricted = client.get(document.url)
    missing = client.get(f"/documents/{document.pk + 1000}/sample-brief.pdf")
    wrong_name = client.get(f"/documents/{document.pk}/other.pdf")
    assert restricted.status_code == missing.status_code == wrong_name.status_code == 404
    assert page_of(restricted) == page_of(missing)
    assert "Sample brief" not in restricted.content.decode()  # the document's title
    assert sorted(restricted.headers) == sorted(missing.headers)


def test_a_restricted_recording_answers_exactly_like_a_missing_one(clients, make_event):
    media = make_media()
    make_event(audience="law_enforcement", recordings=[recording(media, available_to="public")])
    client = clients("member")
    restricted = client.get(media_url(media))
    missing = client.get(f"/media-files/{media.pk + 1000}/{media.filename}")
    wrong_name = client.get(f"/media-files/{media.pk}/other.mp3")
    assert restricted.status_code == missing.status_code == wrong_name.status_code == 404
    assert page_of(restricted) == page_of(missing)
    assert sorted(restricted.headers) == sorted(missing.headers)


def test_a_recording_whose_file_is_gone_is_a_404(clients, make_event):
    media = make_media()
    make_event(recordings=[recording(media, available_to="public")])
    media.file.storage.delete(media.file.name)
    assert clients("anon").get(media_url(media)).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("anon", 404), ("le_member", 200)])
def test_head_on_a_document_follows_the_same_rule(role, status, clients, make_event):
    document = make_document()
    make_event(audience="law_enforcement", materials=[material(document, available_to="public")])
    response = clients(role).head(document.url)
    assert response.status_code == status
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body == b""


def test_the_access_decision_is_a_registered_rule(make_event, member, le_member):
    document = make_document()
    make_event(audience="law_enforcement", materials=[material(document, available_to="public")])
    assert access.can(le_member, "files.download", document)
    assert not access.can(member, "files.download", document)
    assert not access.can(None, "files.download", None)


# --- recordings: ranges, HEAD, the player ---------------------------------------------------


@pytest.fixture
def public_media(make_event):
    media = make_media(kind="video", name="sample-talk.mp4", thumbnail="sample-poster.png")
    event = make_event(recordings=[recording(media, available_to="public")])
    return media, event


def test_a_range_request_gets_206_with_the_exact_bytes(client, public_media):
    media, _ = public_media
    response = client.get(media_url(media), headers={"Range": "bytes=100-299"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-299/{len(AUDIO)}"
    assert response["Content-Length"] == "200"
    assert b"".join(response.streaming_content) == AUDIO[100:300]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=2000-", 2000, 2047), ("bytes=-48", 2000, 2047), ("bytes=0-99999", 0, 2047)],
)
def test_open_and_suffix_ranges(client, public_media, header, start, end):
    media, _ = public_media
    response = client.get(media_url(media), headers={"Range": header})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(AUDIO)}"
    assert b"".join(response.streaming_content) == AUDIO[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=2048-", "bytes=5000-6000", "bytes=-0"])
def test_a_range_outside_the_file_gets_416(client, public_media, header):
    media, _ = public_media
    response = client.get(media_url(media), headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(AUDIO)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=x-"])
def test_a_range_it_cannot_honour_gets_the_whole_file(client, public_media, header):
    media, _ = public_media
    response = client.get(media_url(media), headers={"Range": header})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == AUDIO


def test_a_range_request_from_someone_not_allowed_is_still_404(client_for, make_event):
    media = make_media()
    make_event(recordings=[recording(media)])
    response = client_for(None).get(media_url(media), headers={"Range": "bytes=0-9"})
    assert response.status_code == 404


def test_head_gets_the_headers_and_no_body(client, public_media):
    media, _ = public_media
    response = client.head(media_url(media))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(AUDIO))
    assert response.content == b""
    ranged = client.head(media_url(media), headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged["Content-Length"] == "10"


def test_only_safe_methods_are_answered(client, public_media):
    media, _ = public_media
    assert client.post(media_url(media)).status_code == 405


def test_recordings_are_private_to_caches(client, public_media):
    media, _ = public_media
    response = client.get(media_url(media))
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_event_page_plays_from_the_view_and_the_poster_follows(client, public_media):
    media, event = public_media
    page = client.get(event.url)
    assert page.status_code == 200
    video = BeautifulSoup(page.content, "html5lib").select_one(".recording video")
    assert video["src"] == media_url(media)
    assert video.find("a")["href"] == media_url(media)
    poster = client.get(video["poster"])
    assert poster.status_code == 200
    assert b"".join(poster.streaming_content) == b"\x89PNG sample"
    assert poster["Content-Type"] == "image/png"
    assert client.get(video["src"]).status_code == 200


@override_settings(DEBUG=False)
def test_production_settings_serve_through_the_view_not_media_url(client, public_media):
    """Nothing serves MEDIA_URL when DEBUG is off: the raw upload path is a 404 and the
    view is the only way to a file."""
    from django.conf import settings

    media, _ = public_media
    assert not settings.DEBUG
    assert client.get(f"{settings.MEDIA_URL}{media.file.name}").status_code == 404
    assert client.get(media_url(media)).status_code == 200


# --- object storage: a storage that signs URLs (django-storages' S3 backend has
# url(name, parameters, expire)) gets a redirect to a short-lived one ----------------------


class SigningStorage(FileSystemStorage):
    """Local files, URLs signed like an S3 bucket's."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        query = {"expire": expire, **(parameters or {})}
        return f"https://objects.example.org/{name}?{urlencode(query)}"


SIGNING = {
    "default": {"BACKEND": "tests.test_files_access.SigningStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=SIGNING, FILES_SIGNED_URL_SECONDS=120)
def test_a_signing_storage_gets_a_short_lived_redirect_for_those_allowed(clients, make_event):
    document, media = make_document(), make_media()
    make_event(
        audience="law_enforcement",
        materials=[material(document, available_to="public")],
        recordings=[recording(media, available_to="public")],
    )
    allowed, refused = clients("le_member"), clients("member")
    for url, name in [(document.url, document.file.name), (media_url(media), media.file.name)]:
        assert refused.get(url).status_code == 404
        response = allowed.get(url)
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.netloc == "objects.example.org"
        assert location.path == f"/{name}"
        query = parse_qs(location.query)
        assert query["expire"] == ["120"]
        assert query["ResponseContentDisposition"][0].startswith("attachment")
        assert "no-store" in response["Cache-Control"]


def test_local_disk_streams_instead_of_redirecting(clients, make_event):
    media = make_media()
    make_event(recordings=[recording(media, available_to="public")])
    response = clients("anon").get(media_url(media))
    assert response.status_code == 200
    assert response.streaming


def test_if_range_without_a_validator_match_gets_the_whole_file(client, public_media):
    media, _ = public_media
    response = client.get(
        media_url(media), headers={"Range": "bytes=0-9", "If-Range": '"sample-etag"'}
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == AUDIO


def test_the_public_sample_recording_of_the_demo_plays_for_anyone(client):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    played = 0
    for event in EventPage.objects.live().filter(audience="public"):
        stages = {block.value["available_to"] for block in event.recordings}
        if stages != {"public"}:
            continue
        page = client.get(event.url)
        audio = BeautifulSoup(page.content, "html5lib").select_one(".recording audio")
        response = client.get(audio["src"], headers={"Range": "bytes=0-3"})
        assert response.status_code == 206
        assert b"".join(response.streaming_content) == b"RIFF"
        played += 1
    assert played >= 1
