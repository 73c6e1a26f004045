"""Refuse control characters in what members type.

A name or an organisation is one line of printable text: a carriage return, line feed or
bell in it breaks email headers, spreadsheets (openpyxl refuses such cells) and every list
that shows it. Multi-line fields may keep line breaks and tabs, nothing else below U+0020.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# C0 controls, DEL and the C1 controls; the Unicode line and paragraph separators too,
# since they end a line just as LF does.
SINGLE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MULTI_LINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@deconstructible
class NoControlCharacters:
    """A validator: ``multiline`` allows line breaks (CR, LF) and tabs."""

    def __init__(self, multiline=False):
        self.multiline = multiline

    def __call__(self, value):
        pattern = MULTI_LINE_FORBIDDEN if self.multiline else SINGLE_LINE_FORBIDDEN
        if isinstance(value, str) and pattern.search(value):
            raise ValidationError(self.message(), code="control_characters")

    def message(self):
        if self.multiline:
            return _("Remove the invisible control characters from this text.")
        return _("Use one line of text, without line breaks or control characters.")

    def __eq__(self, other):
        return isinstance(other, NoControlCharacters) and self.multiline == other.multiline


single_line = NoControlCharacters()
multi_line = NoControlCharacters(multiline=True)
