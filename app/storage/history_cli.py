"""``pixtral-desk history …``: the archive from a terminal, for people who script it.

``app/cli.py`` calls ``add_history_commands(subparsers)``; each command sets ``run`` and
raises ``UserFacingError`` subclasses for bad input, which the main CLI prints as one line
and turns into exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from app.storage.errors import StorageError
from app.storage.history import HistoryStore
from app.storage.records import ConversationInfo

MAX_CHAT_ID = 2**63 - 1
"""The largest id SQLite can hold; a larger number cannot name a chat (and SQLite would raise)."""
MAX_LIST_LIMIT = 100_000
"""The most rows ``list`` / ``search`` print at once."""


def chat_id(raw: str) -> int:
    """A chat id as argparse reads it (``show ID``, ``ask --chat ID``): a whole number a chat's
    id can be, or one message."""
    return _whole_number(
        raw, MAX_CHAT_ID, "is not a chat id; pixtral-desk history list shows the ids"
    )


def list_limit(raw: str) -> int:
    """``--limit N``: from 1 to ``MAX_LIST_LIMIT`` (a negative one meant "no limit" to SQLite)."""
    return _whole_number(
        raw, MAX_LIST_LIMIT, f"is not a number of rows; give one from 1 to {MAX_LIST_LIMIT:,}"
    )


def _whole_number(raw: str, most: int, refusal: str) -> int:
    """``raw`` as a whole number from 1 to ``most``, or argparse's one-line refusal."""
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= most:
        raise argparse.ArgumentTypeError(f"'{raw}' {refusal}")
    return value


def add_history_commands(subparsers: argparse._SubParsersAction) -> None:
    history = subparsers.add_parser("history", help="list, show, search, export and import chats")
    history.add_argument(
        "--data-dir", type=Path, default=None, help="history folder (default: the user data folder)"
    )
    commands = history.add_subparsers(dest="history_command", required=True)

    listing = commands.add_parser("list", help="the most recent conversations")
    listing.add_argument("--limit", type=list_limit, default=50)
    listing.add_argument("--trash", action="store_true", help="list the trash instead")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_run_list)

    show = commands.add_parser("show", help="print a conversation (the branch shown in the app)")
    show.add_argument("id", type=chat_id)
    show.set_defaults(run=_run_show)

    search = commands.add_parser("search", help="full-text search over titles and messages")
    search.add_argument("text", nargs="+")
    search.add_argument("--limit", type=list_limit, default=20)
    search.add_argument("--json", action="store_true")
    search.set_defaults(run=_run_search)

    export = commands.add_parser("export", help="export one conversation, or all of them")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("id", type=chat_id, nargs="?", help="the conversation to export")
    which.add_argument("--all", action="store_true", help="every conversation, as one zip")
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("--out", type=Path, required=True, help="file or folder to write")
    export.set_defaults(run=_run_export)

    importing = commands.add_parser("import", help="import a JSON or zip export")
    importing.add_argument("file", type=Path)
    importing.set_defaults(run=_run_import)

    trash = commands.add_parser(
        "trash", help="move conversations to the trash (see them with list --trash; undo: restore)"
    )
    trash.add_argument("ids", type=chat_id, nargs="+", metavar="id")
    trash.set_defaults(run=_run_trash)

    restore = commands.add_parser("restore", help="take conversations back out of the trash")
    restore.add_argument("ids", type=chat_id, nargs="+", metavar="id")
    restore.set_defaults(run=_run_restore)

    salvage = commands.add_parser(
        "salvage", help="copy what is readable from a damaged history moved aside (.corrupt-…)"
    )
    salvage.add_argument("file", type=Path, help="the moved-aside history.corrupt-….sqlite3")
    salvage.set_defaults(run=_run_salvage)

    delete = commands.add_parser("delete", help="delete conversations for good, trash or not")
    delete.add_argument("ids", type=chat_id, nargs="+", metavar="id")
    delete.set_defaults(run=_run_delete)


def _open(args: argparse.Namespace) -> HistoryStore:
    store = HistoryStore.open(args.data_dir)
    if store.recovery_notice:
        print(f"pixtral-desk: {store.recovery_notice}", file=sys.stderr)
    return store


def _date(timestamp: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
    except (OverflowError, OSError, ValueError, TypeError):
        return "????-??-?? ??:??"


def _run_list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rows = store.list_trash() if args.trash else store.list_conversations(limit=args.limit)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "title": r.title,
                        "updated_at": r.updated_at,
                        **_marks(r),
                    }
                    for r in rows
                ],
                ensure_ascii=False,
            )
        )
        return 0
    if not rows:
        where = "The trash is empty." if args.trash else "No conversations yet."
        print(where, file=sys.stderr)
    for row in rows:
        pin = "*" if row.pinned else " "
        date = "(damaged)       " if row.damaged else _date(row.updated_at)
        print(f"{row.id:>6} {pin} {date}  {_marked(row)}")
    if any(row.recovered_at is not None for row in rows):
        print(
            "pixtral-desk: conversations marked (recovered) were copied out of a damaged history; "
            "some of their messages may be missing.",
            file=sys.stderr,
        )
    if any(row.damaged for row in rows):
        print(
            "pixtral-desk: conversations marked (damaged) hold values that could not be read; "
            "open or export them as usual, or remove them with 'pixtral-desk history delete ID'.",
            file=sys.stderr,
        )
    return 0


def _marked(info: ConversationInfo) -> str:
    """A chat's title as a line of ``list`` or ``search`` shows it, with the mark the window's
    sidebar gives a recovered chat."""
    title = info.title or "(untitled)"
    return f"{title}  (recovered)" if info.recovered_at is not None else title


def _marks(info: ConversationInfo) -> dict[str, object]:
    return {"pinned": info.pinned, "damaged": info.damaged, "recovered_at": info.recovered_at}


def _run_show(args: argparse.Namespace) -> int:
    from app.storage.export import render_markdown

    with _open(args) as store:
        text, _files = render_markdown(store, args.id, None)
    sys.stdout.write(text)
    return 0


def _run_search(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    marks = ("\x1b[1m", "\x1b[0m") if sys.stdout.isatty() else ("[", "]")
    with _open(args) as store:
        from app.storage.search import search

        hits = search(store.db, text, limit=args.limit, highlight=marks)
    if args.json:
        keys = ("conversation_id", "message_id", "title", "snippet", "score", "updated_at")
        rows = [
            {**{key: getattr(hit, key) for key in keys}, **_marks(hit.conversation)} for hit in hits
        ]
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for hit in hits:
        snippet = " ".join(hit.snippet.split())
        print(f"{hit.conversation_id:>6}  {_marked(hit.conversation)}\n        {snippet}")
    if not hits:
        print(f"No conversation matches '{text}'.", file=sys.stderr)
        return 1
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from app.storage import export

    with _open(args) as store:
        if args.all:
            if args.format == "json":
                out = export.export_all_json(store, args.out)
            else:
                out = export.export_all_markdown(store, args.out)
        elif args.format == "json":
            out = export.export_json(store, args.id, args.out)
        else:
            out = export.export_markdown(store, args.id, args.out)
    print(out)
    return 0


def _run_import(args: argparse.Namespace) -> int:
    from app.storage.importer import import_file

    with _open(args) as store:
        ids = import_file(store, args.file)
    if not ids:
        raise StorageError(f"{args.file.name} holds no conversations; nothing was imported.")
    print(f"Imported {len(ids)} conversation(s): {', '.join(map(str, ids))}")
    return 0


def _require_all(store: HistoryStore, ids: list[int]) -> None:
    """NotFoundError naming a wrong id before anything changes: a command is all or nothing."""
    for conversation_id in ids:
        store.get_conversation(conversation_id)


def _run_trash(args: argparse.Namespace) -> int:
    with _open(args) as store:
        _require_all(store, args.ids)
        for conversation_id in args.ids:
            store.trash(conversation_id)
    print(f"Moved to the trash: {', '.join(map(str, args.ids))}")
    return 0


def _run_restore(args: argparse.Namespace) -> int:
    with _open(args) as store:
        _require_all(store, args.ids)
        for conversation_id in args.ids:
            store.restore(conversation_id)
    print(f"Restored from the trash: {', '.join(map(str, args.ids))}")
    return 0


def _run_delete(args: argparse.Namespace) -> int:
    with _open(args) as store:
        _require_all(store, args.ids)
        store.delete_forever(args.ids)
    print(f"Deleted for good: {', '.join(map(str, args.ids))}")
    return 0


def _run_salvage(args: argparse.Namespace) -> int:
    from app.storage.salvage import salvage

    with _open(args) as store:
        report = salvage(store, args.file)
    print(report.describe())
    return 0
