"""Request bodies: contents normalised, options camelCase, empty options left out."""

from __future__ import annotations

from typing import Any

import pytest

from gemgate.errors import InvalidRequest
from gemgate.wire import build_generate_body, normalize_contents, prompt_text

HELLO = {"role": "user", "parts": [{"text": "Hello"}]}


def test_a_string_is_one_user_turn() -> None:
    assert normalize_contents("Hello") == [HELLO]


def test_one_content_object_is_a_list_of_one() -> None:
    assert normalize_contents(HELLO) == [HELLO]


def test_a_list_of_contents_is_kept_as_it_is() -> None:
    turns = [HELLO, {"role": "model", "parts": [{"text": "Hi!"}]}]

    assert normalize_contents(turns) == turns


def test_no_contents_is_an_invalid_request() -> None:
    with pytest.raises(InvalidRequest, match="contents must not be empty"):
        normalize_contents([])


@pytest.mark.parametrize(
    "bad", ["Hello", {"role": "user"}, {"parts": "Hello"}], ids=["str", "no-parts", "parts-str"]
)
def test_a_turn_that_is_not_a_content_object_is_an_invalid_request(bad: Any) -> None:
    with pytest.raises(
        InvalidRequest, match=r"contents\[1\] must be an object with a 'parts' list"
    ):
        normalize_contents([HELLO, bad])


def test_a_plain_prompt_makes_a_body_with_contents_only() -> None:
    assert build_generate_body("Hello") == {"contents": [HELLO]}


def test_every_option_has_its_camel_case_key() -> None:
    safety = [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"}]
    tools = [{"functionDeclarations": [{"name": "f"}]}]
    tool_config = {"functionCallingConfig": {"mode": "AUTO"}}

    body = build_generate_body(
        "Hello",
        system_instruction="Be terse.",
        generation_config={"temperature": 0.2},
        safety_settings=safety,
        tools=tools,
        tool_config=tool_config,
        cached_content="cachedContents/abc",
    )

    assert body == {
        "contents": [HELLO],
        "systemInstruction": {"parts": [{"text": "Be terse."}]},
        "generationConfig": {"temperature": 0.2},
        "safetySettings": safety,
        "tools": tools,
        "toolConfig": tool_config,
        "cachedContent": "cachedContents/abc",
    }


def test_a_system_instruction_object_is_sent_as_given() -> None:
    system = {"role": "user", "parts": [{"text": "Be terse."}]}

    assert build_generate_body("Hello", system_instruction=system)["systemInstruction"] == system


def test_empty_options_are_left_out() -> None:
    body = build_generate_body(
        "Hello",
        system_instruction="",
        generation_config={},
        safety_settings=[],
        tools=[],
        tool_config={},
        cached_content="",
    )

    assert body == {"contents": [HELLO]}


def test_the_body_does_not_share_the_callers_generation_config() -> None:
    config = {"temperature": 0.2}

    build_generate_body("Hello", generation_config=config)["generationConfig"]["seed"] = 7

    assert config == {"temperature": 0.2}


def test_prompt_text_joins_the_system_instruction_and_every_text_part() -> None:
    body = build_generate_body(
        [
            HELLO,
            {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]},
            {"role": "user", "parts": [{"inlineData": {"data": "iVBORw=="}}, {"text": "Again"}]},
        ],
        system_instruction="Be terse.",
    )

    assert prompt_text(body) == "Be terse.\nHello\nAgain"


def test_prompt_text_of_a_body_without_contents_is_empty() -> None:
    assert prompt_text({}) == ""
