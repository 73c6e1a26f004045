"""Image renditions in the S3 bucket (``DJANGO_MEDIA_STORAGE=s3``), addressed like the local
ones through the access-checked view (see :mod:`community.storage`)."""

from storages.backends.s3 import S3Storage

from .storage import RenditionsThroughTheView


class S3RenditionStorage(RenditionsThroughTheView, S3Storage):
    """Renditions in the private bucket; the view redirects to a signed URL for them."""
