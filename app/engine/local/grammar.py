"""A JSON schema as a llama.cpp grammar: the answer can only be JSON that the schema allows.

llama-cpp-python ships llama.cpp's own JSON-schema-to-GBNF converter (``json_schema_to_gbnf``,
pure Python); the grammar it writes goes to llama.cpp's grammar sampler, which masks every token
that would leave the grammar, so a constrained answer parses whatever the weights say. The
converter knows most of JSON Schema (objects, arrays, enums, patterns, ``$ref`` inside the file)
and refuses the rest with an exception, which becomes one sentence here.
"""

from __future__ import annotations

from app.core.errors import UserFacingError


class SchemaGrammarError(UserFacingError):
    """The schema cannot be turned into a grammar (a construct the converter does not know)."""


def schema_grammar(schema_json: str) -> str:
    """The GBNF grammar (start rule ``root``) that accepts exactly the JSON ``schema_json`` allows.

    Raises ``SchemaGrammarError`` for a schema the converter cannot translate.
    """
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        return str(json_schema_to_gbnf(schema_json))
    except RecursionError:
        raise SchemaGrammarError("The JSON schema is nested too deeply to use.") from None
    except Exception as exc:  # the converter raises whatever its code hits (KeyError, ValueError)
        raise SchemaGrammarError(
            f"The JSON schema cannot be turned into a grammar for the local model ({exc!r})."
        ) from None
