"""The conversation → chat-completions conversion, without a server."""

from __future__ import annotations

import pytest

from app.core.conversation import Message, MessageStatus, Role, TextPart
from app.engine.base import GenerationRequest
from app.engine.chat_payload import build_payload, image_data_uri
from tests.engine.fake_servers import decode_uri, noisy_image, sent_images, solid_image


def test_same_role_turns_merge_and_empty_failed_replies_are_dropped():
    failed = Message(Role.ASSISTANT, [], MessageStatus.FAILED)
    stopped = Message(Role.ASSISTANT, [TextPart("Half an ")], MessageStatus.STOPPED)
    request = GenerationRequest(
        [Message.user("one"), failed, Message.user("two"), stopped, Message.assistant("answer")],
        "Be brief.",
    )
    assert build_payload(request).messages == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        },
        {"role": "assistant", "content": "Half an\n\nanswer"},
    ]


def test_older_images_over_the_limit_become_placeholders():
    first = [solid_image(8, 8, (i, 0, 0), name=f"old{i}.png") for i in range(2)]
    last = [solid_image(8, 8, (0, i, 0)) for i in range(2)]
    request = GenerationRequest([Message.user("a", first), Message.user("b", last)])
    payload = build_payload(request, max_images=3)
    assert payload.messages[0]["content"][0] == {
        "type": "text",
        "text": "[earlier image 'old0.png' omitted]",
    }
    assert (
        len(sent_images({"messages": payload.messages})) == 3 and payload.images == first[1:] + last
    )
    assert "the 3 most recent were sent, the 1 older ones" in payload.notices[0]
    with pytest.raises(ValueError, match="at most 1"):
        build_payload(request, max_images=1)


def test_an_image_too_big_for_png_shrinks_to_jpeg_with_a_notice():
    small = solid_image(20, 10)
    assert decode_uri(image_data_uri(small)[0]) == ("image/png", small.size, small.rgb)
    uri, notice = image_data_uri(noisy_image(64, 64), max_bytes=6000)
    assert uri.startswith("data:image/jpeg;base64,") and "re-encoded as JPEG" in notice
