"""Uploaded files (documents, recordings, images) follow the access of what they are attached to.

A file has no audience of its own: whoever may see a live page that uses it may download it.
Wagtail's reference index says which objects use a file; each kind of source answers through
a rule registered with :mod:`community.access` (``files.attached.<app>.<model>``), so the
events app decides for its event pages (and their release stages) without this module
importing it. Pages without such a rule fall back on :func:`_page_allows`. A file used
nowhere is for staff only: editors upload before they attach, and nobody else needs it yet.

On a storage that signs URLs (``storage.url(name, expire=...)``, as django-storages' S3
backend does) the views redirect to a short-lived signed URL instead of streaming the file.

Images are served as their renditions (:func:`serve_image`): the rendition storage
(:mod:`community.storage`) gives every rendition the view's address, and the view answers for
the rendition's image like for any other file. Only renditions that exist are served (pages and
the admin make them while rendering), so no address can make the server resize anything.
"""

import inspect
import mimetypes
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex

from . import access
from .storage import RENDITION_FOLDER

CHUNK_SIZE = 64 * 1024

# Model labels ("events.eventpage") whose rule answers for files attached to them.
_attachment_labels: set[str] = set()


def attachment_action(label: str) -> str:
    return f"files.attached.{label}"


def attachment_rule(label: str):
    """Register the rule answering whether a viewer may download a file used by an object of
    model ``label``. The rule gets ``(source, file, field_names)``: the object using the
    file, the file, and the top-level fields of ``source`` that refer to it."""

    def decorator(fn: Callable) -> Callable:
        access.rule(attachment_action(label))(fn)
        _attachment_labels.add(label)
        return fn

    return decorator


def sources(file) -> list[tuple[object, set[str]]]:
    """Objects that use ``file`` (pages as their specific type) with the fields that do."""
    fields_by_source: dict[tuple[int, str], set[str]] = {}
    rows = ReferenceIndex.get_references_to(file).values_list(
        "content_type_id", "object_id", "model_path"
    )
    for content_type_id, object_id, model_path in rows:
        fields_by_source.setdefault((content_type_id, object_id), set()).add(
            model_path.split(".", 1)[0]
        )
    found = []
    for (content_type_id, object_id), fields in fields_by_source.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        source = model._default_manager.filter(pk=object_id).first()
        if source is not None:
            found.append((source, fields))
    return found


def fields_still_using(source, file, fields: set[str]) -> set[str]:
    """Of the fields the index names, those whose current value still refers to ``file``.
    The index is filled by a task and may lag behind an edit: it only finds candidates, and
    a file removed from a page must close at once. Fields not read here (inline child
    objects) count as not using it, which keeps the file closed rather than open."""
    model = file._meta.concrete_model
    still = set()
    for name in fields:
        try:
            field = source._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        value = field.value_from_object(source)
        if value is None:
            continue
        if hasattr(field, "extract_references"):
            if any(
                to_model._meta.concrete_model is model and str(to_id) == str(file.pk)
                for to_model, to_id, _path, _content in field.extract_references(value)
            ):
                still.add(name)
        elif (
            field.is_relation
            and field.many_to_one
            and field.related_model is not None
            and field.related_model._meta.concrete_model is model
            and value == file.pk
        ):
            still.add(name)
    return still


def _page_allows(user, page) -> bool:
    """A page without a rule of its own: live, visible by its audience if it has one, and
    passing Wagtail's view restrictions."""
    if not page.live:
        return False
    if getattr(page, "audience", None) is not None and not access.can(user, "view", page):
        return False
    return view_restrictions_allow(user, page)


def view_restrictions_allow(user, page) -> bool:
    """Wagtail's login and group restrictions on the page and its ancestors, as its serve view
    applies them. A password restriction needs a session and a form for the page, so files
    under it stay for staff."""
    for restriction in page.get_view_restrictions():
        if restriction.restriction_type == restriction.LOGIN:
            if access.Role.ANONYMOUS in access.roles(user):
                return False
        elif restriction.restriction_type == restriction.GROUPS:
            if user is None or not user.is_authenticated:
                return False
            wanted = set(restriction.groups.values_list("pk", flat=True))
            if not wanted & set(user.groups.values_list("pk", flat=True)):
                return False
        else:
            return False
    return True


@access.rule("files.download")
def may_download(user, file) -> bool:
    """Staff always (they prepare files before attaching them); anyone else only through at
    least one live object using the file that lets them have it."""
    if file is None:
        return False
    if access.is_staff(user):
        return True
    for source, indexed in sources(file):
        fields = fields_still_using(source, file, indexed)
        if not fields:
            continue
        label = source._meta.label_lower
        if label in _attachment_labels:
            if access.can(user, attachment_action(label), (source, file, fields)):
                return True
        elif isinstance(source, Page) and _page_allows(user, source):
            return True
    return False


# --- serving --------------------------------------------------------------------------------


def signed_url(field_file, disposition: str) -> str | None:
    """A short-lived URL from a storage that signs them, or None (local disk). A storage whose
    ``url()`` names a view of this module (renditions) offers its backend's as ``object_url``."""
    storage = field_file.storage
    url = getattr(storage, "object_url", storage.url)
    try:
        parameters = inspect.signature(url).parameters
    except (TypeError, ValueError):
        return None
    if "expire" not in parameters:
        return None
    options = {"expire": getattr(settings, "FILES_SIGNED_URL_SECONDS", 300)}
    if "parameters" in parameters:
        # S3 sets these headers on its own answer, as this view would.
        options["parameters"] = {
            "ResponseContentDisposition": disposition,
            "ResponseCacheControl": "private",
        }
    return url(field_file.name, **options)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte span of a single ``Range: bytes=...`` header, or None to send the
    whole file (no header, a malformed one or several ranges: RFC 9110 lets a server ignore
    them). Raises :class:`RangeNotSatisfiable` for a well-formed range outside the file."""
    match = _RANGE.match(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    return start, min(end, size - 1)


def _chunks(field_file, start: int, length: int):
    with field_file.open("rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK_SIZE, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


def file_response(
    request, field_file, content_type: str, filename: str, as_attachment=True, max_age=None
):
    """Stream ``field_file`` with range support: 200, 206 for one satisfiable range, 416
    for one outside the file. HEAD gets the same headers and no body. Private: a shared
    cache must never hand a restricted file to the next person (``max_age`` lets the
    viewer's own browser keep it)."""
    disposition = content_disposition_header(as_attachment=as_attachment, filename=filename)
    redirect_to = signed_url(field_file, disposition)
    if redirect_to:
        response = HttpResponseRedirect(redirect_to)
        patch_cache_control(response, private=True, no_store=True)
        return response
    size = field_file.size
    # No validators are sent, so an If-Range can never match: the whole file, as RFC 9110 says.
    header = "" if "If-Range" in request.headers else request.headers.get("Range", "")
    try:
        span = parse_range(header, size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        patch_cache_control(response, private=True)
        return response
    if span is None:
        start, length, status = 0, size, 200
    else:
        start, length, status = span[0], span[1] - span[0] + 1, 206
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
    else:
        response = StreamingHttpResponse(
            _chunks(field_file, start, length), status=status, content_type=content_type
        )
    response["Content-Length"] = str(length)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    if max_age is None:
        patch_cache_control(response, private=True)
    else:
        patch_cache_control(response, private=True, max_age=max_age)
    return response


def document_response_or_none(document):
    """What the document hook returns: a redirect on a signing storage, else None so Wagtail's
    own serve view streams the file (with its ETag and headers)."""
    disposition = content_disposition_header(as_attachment=True, filename=document.filename)
    redirect_to = signed_url(document.file, disposition)
    if not redirect_to:
        return None
    response = HttpResponseRedirect(redirect_to)
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_safe
def serve_media(request, media_id: int, filename: str):
    """An uploaded recording (``<id>/<file name>``) or its poster (``<id>/thumbnail/<name>``),
    to those the access policy lets have it; anything else, allowed or not, is a 404."""
    import mimetypes

    from wagtailmedia.models import get_media_model

    media = get_media_model().objects.filter(pk=media_id).first()
    if media is None:
        raise Http404
    if filename == media.filename:
        field_file, name = media.file, media.filename
    elif media.thumbnail and filename == f"thumbnail/{media.thumbnail_filename}":
        field_file, name = media.thumbnail, media.thumbnail_filename
    else:
        raise Http404
    if not access.can(request.user, "files.download", media):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    try:
        return file_response(request, field_file, content_type, name)
    except FileNotFoundError:
        raise Http404 from None


# A rendition's bytes never change under its name (a new one gets a new name), so the viewer's
# browser may keep it this long; shared caches still may not.
IMAGE_MAX_AGE = 3600


@require_safe
def serve_image(request, filename: str):
    """A rendition of an image (``images/<file name>`` in the rendition storage), to those the
    access policy lets have its image; anything else, allowed or not, is a 404. Inline, so it
    can be opened on its own: renditions are raster images Wagtail wrote itself (no SVG)."""
    content_type = mimetypes.guess_type(filename)[0] or ""
    if not content_type.startswith("image/"):
        raise Http404
    rendition = (
        get_image_model()
        .get_rendition_model()
        .objects.filter(file=f"{RENDITION_FOLDER}{filename}")
        .select_related("image")
        .first()
    )
    if rendition is None or not access.can(request.user, "files.download", rendition.image):
        raise Http404
    name = filename.rsplit("/", 1)[-1]
    try:
        return file_response(
            request, rendition.file, content_type, name, as_attachment=False, max_age=IMAGE_MAX_AGE
        )
    except FileNotFoundError:
        raise Http404 from None


urlpatterns = [
    path("images/<path:filename>", serve_image, name="image_file"),
    path("<id:media_id>/<path:filename>", serve_media, name="media_file"),
]
