"""Versions read from a conversation, refine requests, and the changes between versions."""

from __future__ import annotations

from PIL import Image

from app.core.conversation import Message, MessageStatus, Role, TextPart
from app.core.images import Detail, prepare_image
from app.workflows.html_versions import (
    PageVersion,
    VersionSource,
    change_summary,
    changes_between,
    read_conversation,
    refine_request,
)


def _image(tmp_path, name: str = "shot.png"):
    path = tmp_path / name
    Image.new("RGB", (320, 200), (200, 10, 10)).save(path)
    return prepare_image(path, Detail.HIGH)


def _answer(text: str, status: MessageStatus = MessageStatus.COMPLETE) -> Message:
    return Message(Role.ASSISTANT, [TextPart(text)], status)


PAGE_1 = "<!DOCTYPE html>\n<html><body><h1>One</h1></body></html>"
PAGE_2 = "<!DOCTYPE html>\n<html><body><h1>Two</h1>\n<p>more</p></body></html>"


def test_versions_come_from_answers_that_hold_a_page(tmp_path) -> None:
    shot = _image(tmp_path)
    messages = [
        Message.user("Make HTML", [shot]),
        _answer(f"Here you go:\n```html\n{PAGE_1}\n```"),
        Message.user("again", [_image(tmp_path, "render.png")]),
        _answer("Sorry, I cannot."),  # no page: not a version
        Message.user("again"),
        _answer(f"```html\n{PAGE_2}\n```", MessageStatus.STOPPED),  # stopped, still readable
        Message.user("again"),
        _answer(f"```html\n{PAGE_1}\n```", MessageStatus.FAILED),  # failed: not a version
    ]
    record = read_conversation(messages)
    assert record.original is shot
    assert [v.html for v in record.versions] == [PAGE_1, PAGE_2]
    assert [v.number for v in record.versions] == [1, 2]


def test_an_empty_conversation_has_no_original_and_no_versions() -> None:
    record = read_conversation([])
    assert record.original is None and record.versions == ()


def test_refining_the_latest_answer_refers_to_it_others_are_quoted() -> None:
    latest = PageVersion(2, PAGE_2)
    short = refine_request(latest, True, 320, 200)
    assert "320×200" in short and PAGE_2 not in short
    older = refine_request(PageVersion(1, PAGE_1), False, 320, 200)
    assert f"```html\n{PAGE_1}\n```" in older
    edit = PageVersion(3, PAGE_1 + "<!-- mine -->", VersionSource.EDIT)
    assert "<!-- mine -->" in refine_request(edit, True, 320, 200)
    assert edit.label == "Version 3 (your edit)"


def test_changes_between_versions_are_typed_lines() -> None:
    lines = changes_between(PAGE_1, PAGE_2)
    kinds = [line.kind for line in lines]
    assert kinds[0] == "@"
    assert ("-", "<html><body><h1>One</h1></body></html>") in [(x.kind, x.text) for x in lines]
    assert ("+", "<p>more</p></body></html>") in [(x.kind, x.text) for x in lines]
    assert change_summary(lines) == "2 lines added, 1 removed"
    assert changes_between(PAGE_1, PAGE_1) == []
    assert change_summary([]) == "No changes."
