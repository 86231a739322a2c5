"""The email and password rules and the JSON-Schema patterns that state them agree."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from media_common.credentials import EMAIL_PATTERN, normalize_email

EMAIL = re.compile(EMAIL_PATTERN)


def _valid_email(value: str) -> bool:
    try:
        normalize_email(value)
    except ValueError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.from_regex(EMAIL, fullmatch=True))
def test_every_address_the_pattern_allows_is_accepted(value: str) -> None:
    assert _valid_email(value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_what_the_pattern_refuses_is_refused(value: str) -> None:
    assert _valid_email(value) is bool(EMAIL.fullmatch(value))


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        pytest.param("Ada@Example.COM", True, id="capitals"),
        pytest.param(" \x1eada@example.com\u3000", True, id="spaces around (trimmed)"),
        pytest.param("a" * 64 + "@example.com", True, id="local part of 64"),
        pytest.param("a" * 65 + "@example.com", False, id="local part of 65"),
        pytest.param(
            "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 57 + ".io",
            True,
            id="254 characters",
        ),
        pytest.param(
            "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 58 + ".io",
            False,
            id="255 characters",
        ),
        pytest.param("a..b@example.com", False, id="two dots"),
        pytest.param("ada@example", False, id="no top-level label"),
        pytest.param("adä@example.com", False, id="not ASCII"),
    ],
)
def test_chosen_addresses(value: str, accepted: bool) -> None:
    assert _valid_email(value) is accepted
    assert bool(EMAIL.fullmatch(value)) is accepted
