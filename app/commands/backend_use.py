"""Which backend a command runs on, and what that allows: documents stay on this computer,
and a schema needs a backend that can keep to one. Both are said before any input is read."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from app.backends import backend_spec
from app.commands.inputs import read_schema
from app.core.errors import UserFacingError
from app.engine.backend_choice import DOCUMENT_STAYS_LOCAL, Target
from app.engine.capabilities import Capability


def target_of_values(values: dict[str, Any]) -> Target:
    spec = backend_spec(values["backend"])
    if spec is None:
        return Target(values["backend"])  # unknown: make_backend says so; remote, to be safe
    return spec.target(str(values.get(spec.url_key, "")) if spec.url_key else "")


def check_local(values: dict[str, Any]) -> None:
    """Documents never leave the computer: refused before a page is read or drawn."""
    target = target_of_values(values)
    if target.remote:
        raise UserFacingError(
            f"{DOCUMENT_STAYS_LOCAL.split(';')[0]}: documents stay on this computer and are "
            f"never sent to {target.label}. Use the local model (--backend local)."
        )


def checked_schema(path: Path | None, values: dict[str, Any]) -> str:
    if path is None:
        return ""
    spec = backend_spec(values["backend"])
    if spec is not None and not spec.can(Capability.FOLLOWS_SCHEMA):
        raise UserFacingError(
            f"--json-schema needs the local model or La Plateforme; {spec.label} cannot be "
            "held to a schema."
        )
    schema = read_schema(path)
    if spec is not None and spec.can(Capability.LOADS_MODEL):
        from app.engine.local.grammar import schema_grammar

        schema_grammar(schema)  # a schema the grammar cannot express: said now, in one line
    return schema


def notice(text: str) -> None:
    print(f"pixtral-desk: {text}", file=sys.stderr)
