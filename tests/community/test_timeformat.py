"""community/timeformat.py: the one way the site writes a time, in every language."""

import datetime as dt
import zoneinfo

from django.utils import translation

import pytest

from community import timeformat as tf

MINUS = "\N{MINUS SIGN}"
START = dt.datetime(2026, 12, 11, 12, 0, tzinfo=dt.UTC)  # a Friday
END = START + dt.timedelta(hours=3)
BA = "America/Argentina/Buenos_Aires"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", f"Friday, Dec. 11, 2026, 09:00–12:00 · Buenos Aires (UTC{MINUS}3)"),
        ("fr", f"vendredi 11 décembre 2026, 09:00–12:00 · Buenos Aires (UTC{MINUS}3)"),
        ("es", f"viernes, 11 de diciembre de 2026, 09:00–12:00 · Buenos Aires (UTC{MINUS}3)"),
        ("ar", f"الجمعة، 11 ديسمبر، 2026، 09:00–12:00 · Buenos Aires (UTC{MINUS}3)"),
    ],
)
def test_a_span_with_its_zone_in_each_language(language, expected):
    with translation.override(language):
        assert tf.with_zone(tf.format_span(START, END, BA), BA, START) == expected


def test_a_span_across_midnight_writes_both_days():
    with translation.override("en"):
        text = tf.format_span(START, START + dt.timedelta(hours=14), "Asia/Kolkata")
    assert text == "Friday, Dec. 11, 2026, 17:30 – Saturday, Dec. 12, 2026, 07:30"


def test_all_day_dates_need_no_zone():
    with translation.override("en"):
        assert tf.format_dates(dt.date(2026, 12, 11)) == "Friday, Dec. 11, 2026"
        assert tf.format_dates(dt.date(2026, 12, 11), dt.date(2026, 12, 13)) == (
            "Friday, Dec. 11, 2026 – Sunday, Dec. 13, 2026"
        )


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, "UTC"),
        (60, "UTC+1"),
        (-180, f"UTC{MINUS}3"),
        (330, "UTC+5:30"),
        (345, "UTC+5:45"),
        (-570, f"UTC{MINUS}9:30"),
        (765, "UTC+12:45"),
    ],
)
def test_one_offset_format(minutes, expected):
    assert tf.offset_text(dt.timedelta(minutes=minutes)) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (BA, f"Buenos Aires (UTC{MINUS}3)"),
        ("America/Indiana/Knox", f"Knox, Indiana (UTC{MINUS}6)"),
        ("Pacific/Chatham", "Chatham (UTC+13:45)"),
        ("Europe/London", "London (UTC)"),
        ("UTC", "UTC"),
        ("", "UTC"),
        ("Not/AZone", "UTC"),
        ("Etc/GMT-14", "UTC+14"),
        (zoneinfo.ZoneInfo("Asia/Tokyo"), "Tokyo (UTC+9)"),
    ],
)
def test_readable_zone_names(zone, expected):
    assert tf.zone_label(zone, START) == expected


def test_times_never_end_in_a_full_stop():
    """'9 a.m.' followed by the sentence's own full stop read '9 a.m..'; the 24-hour clock
    and the zone label end in a digit or a bracket in every language."""
    for language in ("en", "fr", "es", "ar"):
        with translation.override(language):
            for hour in range(24):
                value = START.replace(hour=hour)
                for text in (
                    tf.format_clock(value),
                    tf.format_datetime(value),
                    tf.with_zone(tf.format_datetime(value), "Europe/Paris", value),
                ):
                    assert not text.endswith("."), text
                    assert "a.m" not in text and "p.m" not in text


def test_the_browser_gets_the_same_shape():
    with translation.override("fr"):
        shape = tf.browser_shape()
    assert shape["date"][0] == ["l"]
    assert shape["names"]["l"][4] == "vendredi" and shape["names"]["F"][11] == "décembre"
    assert shape["time"] == [["H"], ":", ["i"]]
    assert shape["minus"] == MINUS and shape["dash"] == "–"
    assert shape["withZone"] == "%(when)s · %(zone)s"
    assert shape["renamed"]["Asia/Calcutta"] == "Asia/Kolkata"
    assert "America/New_York" not in shape["renamed"]


def test_escaped_letters_in_a_date_format_stay_literal():
    assert tf._tokens(r"j \d\e F") == [["j"], " de ", ["F"]]


def test_an_unsupported_date_format_falls_back(settings):
    assert not tf._supported("jS F Y")  # an English ordinal suffix the browser cannot write
    assert tf._supported(r"j \d\e F \d\e Y")


def test_naive_datetimes_are_read_in_the_default_zone():
    with translation.override("en"):
        assert tf.format_datetime(dt.datetime(2026, 12, 11, 9, 0)) == "Friday, Dec. 11, 2026, 09:00"
