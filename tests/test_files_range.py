"""The parser of ``Range: bytes=...`` headers behind the recordings view (issue 8.8)."""

import pytest

from community.files import RangeNotSatisfiable, parse_range

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes=0-0", (0, 0)),
        ("bytes=0-499", (0, 499)),
        ("bytes=500-", (500, 999)),
        ("bytes=-200", (800, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=990-5000", (990, 999)),
        (" bytes=1-2 ", (1, 2)),
    ],
)
def test_satisfiable_ranges(header, span):
    assert parse_range(header, SIZE) == span


@pytest.mark.parametrize(
    "header", ["", "bytes=", "bytes=-", "bytes=5-1", "bytes=a-b", "bytes=0-1,3-4", "lines=0-1"]
)
def test_ranges_that_are_ignored(header):
    assert parse_range(header, SIZE) is None


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=-0"])
def test_unsatisfiable_ranges(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, SIZE)


def test_an_empty_file_satisfies_no_range():
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=0-", 0)
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=-1", 0)
