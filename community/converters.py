"""URL converters shared by every app."""

from django.urls import register_converter


class RowIdConverter:
    """A row id in a URL: 1 to 18 digits. Django's ``int`` takes any length, and a number past
    a 64-bit column (``/events/9223372036854775808/event.ics``) made the database refuse the
    query (a 500); with this, such a path simply matches nothing (404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(RowIdConverter, "id")
