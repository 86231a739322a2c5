"""The text rule and its JSON-Schema pattern agree on every code point."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest

from media_common.credentials import EMAIL_PATTERN, PASSWORD_PATTERN
from media_common.text import TextRule, text_pattern, unique_key

SURROGATES = range(0xD800, 0xE000)


def _accepts(rule: TextRule, value: str) -> bool:
    try:
        rule.check(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("multiline", [False, True], ids=["one-line", "multi-line"])
def test_pattern_and_validator_agree_on_every_code_point(multiline: bool) -> None:
    """Every scalar value; the lone surrogates, which the pattern cannot name, are
    refused by the validator (test_lone_surrogates_are_refused_by_the_validator)."""
    rule = TextRule(10, multiline=multiline)
    pattern = re.compile(text_pattern(10, multiline=multiline, required=True))
    disagreements = [
        f"U+{code:04X}"
        for code in range(0x110000)
        if code not in SURROGATES
        and bool(pattern.fullmatch(f"a{chr(code)}b")) != _accepts(rule, f"a{chr(code)}b")
    ]
    assert disagreements == []


@pytest.mark.parametrize("multiline", [False, True], ids=["one-line", "multi-line"])
def test_lone_surrogates_are_refused_by_the_validator(multiline: bool) -> None:
    rule = TextRule(10, multiline=multiline)
    assert not any(_accepts(rule, f"a{chr(code)}b") for code in SURROGATES)


@pytest.mark.parametrize(
    "pattern",
    [
        text_pattern(100, multiline=False, required=True),
        text_pattern(200, multiline=False, required=False),
        text_pattern(None, multiline=True, required=False),
        EMAIL_PATTERN,
        PASSWORD_PATTERN,
    ],
    ids=["name", "optional", "multi-line", "email", "password"],
)
def test_patterns_compile_in_a_json_schema_engine(pattern: str) -> None:
    """Rust's regex (jsonschema-rs, which schemathesis uses): a pattern it cannot compile
    is dropped by test generators, and then the schema no longer says what is refused."""
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    assert validator.is_valid("Ada@example.com")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        pytest.param("Acme \U0009bdc4", True, id="unassigned today (a newer Unicode's)"),
        pytest.param("Acme\U0001faea", True, id="emoji of Unicode 15"),
        pytest.param("Acme\ufdd0", False, id="noncharacter U+FDD0"),
        pytest.param("Acme\U0010ffff", False, id="noncharacter U+10FFFF"),
        pytest.param("Acme\ue000", False, id="private use"),
        pytest.param("Acme\u202e", False, id="bidi override"),
        pytest.param("  Acme  ", True, id="spaces around"),
        pytest.param(" " * 3, False, id="blank"),
        pytest.param("x" * 10, True, id="at the limit"),
        pytest.param("x" * 11, False, id="over the limit"),
    ],
)
def test_validator_and_pattern_on_chosen_values(value: str, accepted: bool) -> None:
    rule = TextRule(10)
    pattern = re.compile(text_pattern(10, multiline=False, required=True))
    assert _accepts(rule, value) is accepted
    assert bool(pattern.fullmatch(value)) is accepted


def test_unique_key_folds_width_and_case() -> None:
    assert unique_key("Ａｃｍｅ") == unique_key("ACME") == "acme"
