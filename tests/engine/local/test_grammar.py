"""A JSON schema as a grammar: what the converter cannot express is one sentence."""

from __future__ import annotations

import json

import pytest

from app.engine.local.grammar import SchemaGrammarError, schema_grammar


def test_a_schema_becomes_a_grammar_with_a_root_rule() -> None:
    grammar = schema_grammar(
        json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}})
    )
    assert "root ::=" in grammar and "integer" in grammar


def test_what_the_converter_does_not_know_is_refused_in_words() -> None:
    with pytest.raises(SchemaGrammarError, match="cannot be turned into a grammar"):
        schema_grammar(json.dumps({"type": "no-such-type"}))
