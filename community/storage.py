"""Storage for image renditions: the files stay where the other uploads are, but their URL is
the access-checked view (:func:`community.files.serve_image`), never the storage's own.

Wagtail saves every rendition as ``images/<name>`` in ``WAGTAILIMAGES_RENDITION_STORAGE``; its
``url()`` is what ``{% image %}`` writes into pages and the admin. Here that is
``/media-files/images/<name>``, which looks the rendition up and asks the access policy about
its image, so nothing has to serve ``MEDIA_URL``. The S3 variant is in
:mod:`community.storage_s3` (it imports boto3, which a local-disk site does not need).
"""

from django.core.files.storage import FileSystemStorage
from django.urls import reverse

RENDITION_FOLDER = "images/"


class RenditionsThroughTheView:
    """Mixin for a storage class: ``url()`` names the view; ``object_url`` is the backend's
    own ``url`` (a signed address on S3), for the view to redirect to once access is checked."""

    def url(self, name, *args, **kwargs):
        return reverse("image_file", args=[name.removeprefix(RENDITION_FOLDER)])

    @property
    def object_url(self):
        return super().url


class LocalRenditionStorage(RenditionsThroughTheView, FileSystemStorage):
    """Renditions under MEDIA_ROOT, like every other upload on the local disk."""
