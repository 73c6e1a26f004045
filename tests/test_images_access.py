"""Images in production: `{% image %}` renditions reach people through the access-checked view,
following the pages that use the image like documents do (issue 8.8).

Production-like settings (DEBUG off, nothing serving MEDIA_URL): a broken image here is a
broken image on the live site.
"""

from io import BytesIO

from django.conf import settings
from django.core.files.images import ImageFile
from django.test import override_settings

from wagtail.images import get_image_model

import pytest
from bs4 import BeautifulSoup
from PIL import Image as PILImage

from tests import test_files_access as file_tests
from tests.test_files_access import page_of

# The file tests' fixtures: events under one index, a client per role.
clients = file_tests.clients
event_index = file_tests.event_index
make_event = file_tests.make_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_production_like")]

ALT = "Sample description of the workshop room"
SIZE = (64, 32)


@pytest.fixture
def _production_like():
    with override_settings(DEBUG=False):
        assert not settings.DEBUG
        yield


def make_image(name="sample-room.png", colour=(0, 128, 128)):
    buffer = BytesIO()
    PILImage.new("RGB", SIZE, colour).save(buffer, "PNG")
    return get_image_model().objects.create(
        title="Sample room photo", file=ImageFile(buffer, name=name)
    )


def image_block(image, alt=ALT):
    return {"type": "image", "value": {"image": image.pk, "alt_text": alt, "caption": ""}}


def rendered_img(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    img = BeautifulSoup(response.content, "html5lib").select_one("figure.block-image img")
    assert img is not None
    return img


def fetched(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def stored_bytes(src):
    rendition = (
        get_image_model().get_rendition_model().objects.get(file=src.removeprefix("/media-files/"))
    )
    with rendition.file.open("rb") as handle:
        return rendition, handle.read()


def test_a_public_page_image_renders_and_its_url_answers_with_the_image(client, make_event):
    image = make_image()
    event = make_event(audience="public", body=[image_block(image)])
    img = rendered_img(client, event)
    assert img["alt"] == ALT
    assert (img["width"], img["height"]) == tuple(str(n) for n in SIZE)
    assert img["src"].startswith("/media-files/images/")

    response = client.get(img["src"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    body = fetched(response)
    rendition, stored = stored_bytes(img["src"])
    assert body == stored
    assert PILImage.open(BytesIO(body)).size == SIZE
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]

    # Neither the rendition nor the original is reachable under MEDIA_URL.
    assert client.get(f"{settings.MEDIA_URL}{rendition.file.name}").status_code == 404
    assert client.get(f"{settings.MEDIA_URL}{image.file.name}").status_code == 404

    # Unpublishing the page withdraws its image at once.
    event.unpublish()
    assert client.get(img["src"]).status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [("anon", 404), ("pending", 404), ("member", 404), ("le_member", 200), ("editor", 200)],
)
def test_an_image_used_only_on_a_restricted_event_follows_that_event(
    role, status, clients, make_event
):
    image = make_image()
    event = make_event(audience="law_enforcement", body=[image_block(image)])
    src = rendered_img(clients("le_member"), event)["src"]
    response = clients(role).get(src)
    assert response.status_code == status
    if status == 200:
        assert fetched(response) == stored_bytes(src)[1]


def test_one_public_page_that_uses_the_image_is_enough(client, clients, make_event, event_index):
    from home.models import StandardPage

    image = make_image()
    event = make_event(audience="law_enforcement", body=[image_block(image)])
    src = rendered_img(clients("le_member"), event)["src"]
    assert client.get(src).status_code == 404
    page = event_index.get_parent().add_child(
        instance=StandardPage(
            title="Sample public page", slug="sample-public-page", body=[image_block(image)]
        )
    )
    page.save_revision().publish()
    assert rendered_img(client, page)["src"] == src
    assert client.get(src).status_code == 200


def test_an_unused_image_is_for_staff_only(clients):
    image = make_image()
    src = image.get_rendition("width-1200").url
    assert src.startswith("/media-files/images/")
    for role in ["anon", "member", "le_member"]:
        assert clients(role).get(src).status_code == 404
    assert clients("editor").get(src).status_code == 200


def test_a_refused_image_answers_exactly_like_a_missing_one(clients, make_event):
    image = make_image()
    event = make_event(audience="law_enforcement", body=[image_block(image)])
    src = rendered_img(clients("le_member"), event)["src"]
    client = clients("member")
    refused = client.get(src)
    missing = client.get("/media-files/images/sample-missing.width-1200.png")
    not_an_image = client.get(src.removesuffix(".png") + ".html")
    assert refused.status_code == missing.status_code == not_an_image.status_code == 404
    assert page_of(refused) == page_of(missing)
    assert sorted(refused.headers) == sorted(missing.headers)


def test_the_view_serves_existing_renditions_only(clients, make_event):
    """No address makes the server resize anything: a filter spec nobody rendered is a 404,
    even for staff."""
    image = make_image()
    make_event(audience="public", body=[image_block(image)])
    src = image.get_rendition("width-1200").url
    other = src.replace("width-1200", "width-8")
    assert clients("editor").get(other).status_code == 404
    assert not image.renditions.filter(filter_spec="width-8").exists()


def test_the_admin_image_library_shows_its_thumbnails_to_editors(clients):
    image = make_image()
    editor = clients("editor")
    response = editor.get("/admin/images/")
    assert response.status_code == 200
    thumbnails = [
        tag["src"]
        for tag in BeautifulSoup(response.content, "html5lib").select("img")
        if tag.get("src", "").startswith("/media-files/images/")
    ]
    assert thumbnails, "the library lists the image through the view"
    assert editor.get(thumbnails[0]).status_code == 200
    assert image.renditions.exists()
