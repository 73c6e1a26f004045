"""Uploads on S3-compatible object storage (django-storages), as production configures it.

The bucket is moto's in-process mock (``mock_aws``): no network, no real credentials. The
storage settings are read from the production settings module itself (in a subprocess, once),
so these tests exercise the configuration a deployment gets, not a copy of it.
"""

from io import BytesIO
from urllib.parse import parse_qs, unquote, urlsplit

from django.test import override_settings

from wagtail.images import get_image_model

import boto3
import pytest
from bs4 import BeautifulSoup
from moto import mock_aws

from community.settings.base import bucket_origins
from tests import test_files_access as file_tests
from tests.helpers import S3_SETTING_NAMES, settings_values
from tests.test_files_access import (
    AUDIO,
    PDF,
    make_document,
    make_media,
    material,
    media_url,
    page_of,
    recording,
)
from tests.test_images_access import image_block, make_image

# The file tests' fixtures: events under one index, a client per role.
clients = file_tests.clients
event_index = file_tests.event_index
make_event = file_tests.make_event

pytestmark = pytest.mark.django_db

BUCKET = "sample-community-uploads"
REGION = "eu-west-3"
SECONDS = 120


@pytest.fixture(scope="module")
def production_s3_settings():
    values = settings_values(
        *S3_SETTING_NAMES,
        DJANGO_MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_REGION_NAME=REGION,
        FILES_SIGNED_URL_SECONDS=str(SECONDS),
    )
    assert values["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    # Tests never build the static manifest.
    values["STORAGES"]["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    return values


@pytest.fixture
def bucket(production_s3_settings, monkeypatch):
    """A private bucket in moto, with the site's default storage on it. Fake credentials in
    the environment, where boto3 looks when the settings leave them unset."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sample-key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sample-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        with override_settings(**production_s3_settings):
            yield client


def stored(client, key):
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def assert_signed_redirect(response, bucket_client, disposition):
    """A 302 to a SigV4 URL on the bucket's host, valid SECONDS, never kept by a cache; returns
    the object key it names."""
    assert response.status_code == 302
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" in bucket_origins(BUCKET, None, REGION)
    assert location.netloc.startswith(f"{BUCKET}.")
    query = parse_qs(location.query)
    assert query["X-Amz-Expires"] == [str(SECONDS)]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "X-Amz-Signature" in query
    assert query["response-content-disposition"][0].startswith(disposition)
    assert query["response-cache-control"] == ["private"]
    return unquote(location.path.removeprefix("/"))


def test_files_on_the_bucket_redirect_allowed_viewers_to_a_short_lived_signed_url(
    bucket, clients, make_event
):
    public_doc = make_document("sample-public-brief.pdf")
    public_media = make_media("sample-public-talk.mp3")
    restricted_doc = make_document("sample-restricted-brief.pdf", content=PDF + b"% restricted\n")
    restricted_media = make_media("sample-restricted-talk.mp3")
    make_event(
        audience="public",
        materials=[material(public_doc, available_to="public")],
        recordings=[recording(public_media, available_to="public")],
    )
    make_event(
        audience="law_enforcement",
        materials=[material(restricted_doc, available_to="public")],
        recordings=[recording(restricted_media, available_to="public")],
    )
    # The uploads went into the bucket, nowhere else.
    assert stored(bucket, public_doc.file.name) == PDF
    assert stored(bucket, restricted_media.file.name) == AUDIO

    cases = [
        (public_doc.url, public_doc.file.name, PDF, {"anon", "member", "le_member"}),
        (media_url(public_media), public_media.file.name, AUDIO, {"anon", "member", "le_member"}),
        (restricted_doc.url, restricted_doc.file.name, PDF + b"% restricted\n", {"le_member"}),
        (media_url(restricted_media), restricted_media.file.name, AUDIO, {"le_member"}),
    ]
    missing = {
        "document": f"/documents/{restricted_doc.pk + 1000}/{restricted_doc.filename}",
        "media": f"/media-files/{restricted_media.pk + 1000}/{restricted_media.filename}",
    }
    for role in ["anon", "member", "le_member"]:
        client = clients(role)
        for url, key, content, allowed in cases:
            response = client.get(url)
            if role in allowed:
                assert assert_signed_redirect(response, bucket, "attachment") == key
                assert stored(bucket, key) == content
            else:
                # The same 404 as a file that does not exist.
                kind = "document" if url.startswith("/documents/") else "media"
                absent = client.get(missing[kind])
                assert response.status_code == absent.status_code == 404
                assert page_of(response) == page_of(absent)
                assert sorted(response.headers) == sorted(absent.headers)


@pytest.fixture
def renditions_on_the_bucket(bucket, monkeypatch):
    """Wagtail resolves the rendition storage once, when its model loads: swap it for the
    one production uses on S3, for this test."""
    from community.storage_s3 import S3RenditionStorage

    field = get_image_model().get_rendition_model()._meta.get_field("file")
    monkeypatch.setattr(field, "storage", S3RenditionStorage())
    return bucket


def test_images_on_the_bucket_go_through_the_view_too(
    renditions_on_the_bucket, clients, make_event
):
    from PIL import Image as PILImage

    image = make_image()
    public = make_event(audience="public", body=[image_block(image)])
    restricted_image = make_image("sample-restricted-room.png", colour=(128, 0, 0))
    restricted = make_event(audience="law_enforcement", body=[image_block(restricted_image)])

    def src_on(page, role):
        response = clients(role).get(page.url)
        img = BeautifulSoup(response.content, "html5lib").select_one("figure.block-image img")
        return img["src"]

    src = src_on(public, "anon")
    assert src.startswith("/media-files/images/")
    key = assert_signed_redirect(clients("anon").get(src), renditions_on_the_bucket, "inline")
    assert key == src.removeprefix("/media-files/")
    picture = PILImage.open(BytesIO(stored(renditions_on_the_bucket, key)))
    assert picture.getpixel((0, 0)) == (0, 128, 128)

    restricted_src = src_on(restricted, "le_member")
    assert clients("anon").get(restricted_src).status_code == 404
    assert clients("member").get(restricted_src).status_code == 404
    assert clients("le_member").get(restricted_src).status_code == 302
