"""History benchmark: a big generated history, timed the way the app uses it.

    python tests/bench/history_bench.py [--conversations 10000] [--messages 500000] [--dir D]

Generates the history straight into SQLite (executemany in one transaction, the FTS triggers
indexing as they would in the app), then measures: open + list the 100 most recent, FTS search
p50/p95 over 20 queries, loading a 2,000-message conversation, and streaming 1,000 tokens
(how long each commit holds the write lock). Prints a Markdown table. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.conversation import TextPart
from app.storage.history import HistoryStore

BIG_CONVERSATION = 2000
BLOB_COUNT = 1000
QUERIES = [
    "invoice", "screenshot layout", "python error", "chart", "kubernetes", "receipt total",
    "zebra", "translate french", "table columns", "summary", "latency budget", "html css",
    "photo", "quarterly report", "diagram arrows", "handwriting", "menu prices", "regex",
    "weather", "contract clause",
]  # fmt: skip


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """A Zipf-like vocabulary of 20,000 words; query words placed from very common to rare."""
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vi", "so", "pe", "da", "qu", "zo"]
    words: list[str] = []
    while len(words) < 20_000:
        words.append("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    query_words = sorted({w for q in QUERIES for w in q.split()})
    rng.shuffle(query_words)
    for i, word in enumerate(query_words):
        words.insert(int(1.45**i), word)  # ranks 1, 1, 2, 3, 4, 6, … up to a few thousand
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(words))]
    return words, weights


def generate(store: HistoryStore, conversations: int, messages: int, seed: int = 7) -> int:
    """Fill the store; returns the id of the 2,000-message conversation."""
    rng = random.Random(seed)
    words, weights = _vocabulary(rng)
    cum = list(itertools.accumulate(weights))  # choices() would re-sum 20,000 weights per call
    now = time.time()
    blobs = []
    for i in range(BLOB_COUNT):
        staged = store.blobs.write(hashlib.sha256(b"%d" % i).digest() * 64, "image/png")
        blobs.append(staged)
    per_conversation = [(messages - BIG_CONVERSATION) // (conversations - 1)] * (conversations - 1)
    per_conversation[0] += (messages - BIG_CONVERSATION) - sum(per_conversation)
    per_conversation.insert(conversations // 2, BIG_CONVERSATION)
    big_id = conversations // 2 + 1
    conv_rows, message_rows, part_rows = [], [], []
    message_id = part_id = 0
    for cid, count in enumerate(per_conversation, start=1):
        created = now - rng.uniform(0, 2 * 365 * 86400)
        stamps = sorted(rng.uniform(created, now) for _ in range(count))
        parent = None
        for n in range(count):
            message_id += 1
            role = "user" if n % 2 == 0 else "assistant"
            length = rng.randint(5, 25) if role == "user" else rng.randint(20, 80)
            text = " ".join(rng.choices(words, cum_weights=cum, k=length))
            usage = None if role == "user" else json.dumps({"generated_tokens": length * 2})
            message_rows.append(
                (
                    message_id,
                    cid,
                    parent,
                    role,
                    "complete",
                    stamps[n],
                    stamps[n],
                    "local",
                    "m",
                    usage,
                )
            )
            if role == "user" and rng.random() < 0.05:
                part_id += 1
                part_rows.append((part_id, message_id, 0, "image", None, rng.choice(blobs).sha256))
            part_id += 1
            part_rows.append((part_id, message_id, 1, "text", text, None))
            parent = message_id
        title = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(2, 6)))
        conv_rows.append(
            (cid, uuid.uuid4().hex, title, created, stamps[-1] if stamps else created, message_id)
        )
    with store.db.write() as conn:
        for blob in blobs:
            store.blobs.register(conn, blob)
        conn.executemany(
            "INSERT INTO conversations (id, uid, title, title_source, created_at, updated_at, "
            "active_leaf_id) VALUES (?, ?, ?, 'model', ?, ?, NULL)",
            [row[:5] for row in conv_rows],
        )
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, parent_id, role, status, created_at, "
            "updated_at, backend, model, usage) VALUES (?,?,?,?,?,?,?,?,?,?)",
            message_rows,
        )
        conn.executemany(
            "INSERT INTO parts (id, message_id, position, kind, text, blob_sha256) "
            "VALUES (?,?,?,?,?,?)",
            part_rows,
        )
        conn.executemany(
            "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
            [(row[5], row[0]) for row in conv_rows],
        )
    store.db.conn.execute("PRAGMA optimize")
    store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return big_id


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(data_dir: Path, big_id: int) -> list[tuple[str, str, str, str]]:
    rows = []
    opens = []
    for _ in range(10):
        start = time.perf_counter()
        store = HistoryStore.open(data_dir)
        listed = store.list_conversations(limit=100)
        opens.append(time.perf_counter() - start)
        assert len(listed) == 100
        store.close()
    rows.append(("open + list 100 most recent", _ms(statistics.median(opens)),
                 f"max {_ms(max(opens))} (10 runs)", "< 150 ms"))  # fmt: skip

    store = HistoryStore.open(data_dir)
    lists = []
    for _ in range(20):
        start = time.perf_counter()
        store.list_conversations(limit=100)
        lists.append(time.perf_counter() - start)
    rows.append(("list 100 most recent (open store)", _ms(statistics.median(lists)),
                 f"max {_ms(max(lists))}", "< 150 ms"))  # fmt: skip

    store.search("warm up")
    timings, counts = [], []
    for query in QUERIES:
        start = time.perf_counter()
        hits = store.search(query)
        timings.append(time.perf_counter() - start)
        counts.append(len(hits))
    rows.append(("FTS search, 20 queries", f"p50 {_ms(_percentile(timings, 0.5))}",
                 f"p95 {_ms(_percentile(timings, 0.95))}, max {_ms(max(timings))}; "
                 f"{min(counts)}–{max(counts)} hits", "p95 < 100 ms"))  # fmt: skip

    loads = []
    for _ in range(10):
        start = time.perf_counter()
        loaded = store.load(big_id)
        loads.append(time.perf_counter() - start)
    assert len(loaded.messages) == BIG_CONVERSATION
    rows.append(("load a 2,000-message conversation", _ms(statistics.median(loads)),
                 f"max {_ms(max(loads))} (10 runs)", "< 300 ms"))  # fmt: skip

    for interval, label in ((1.0, "default 1 s batching"), (0.0, "stress: commit every token")):
        store.streams.interval = interval
        chat = store.create_conversation(title="streaming benchmark")
        store.add_message(chat, "user", [TextPart("write a long answer")])
        reply = store.start_reply(chat, backend="local", model="m")
        holds, calls = [], []
        for token in range(1000):
            start = time.perf_counter()
            if store.append_stream(reply, f"token{token} "):
                holds.append(store.db.last_write_seconds)
            calls.append(time.perf_counter() - start)
            if interval:
                time.sleep(0.004)  # ~250 tokens/s, a fast GPU
        store.finish_reply(reply)
        holds.append(store.db.last_write_seconds)
        rows.append((f"stream 1,000 tokens ({label})",
                     f"max lock hold {_ms(max(holds))}",
                     f"{len(holds)} commits, p50 {_ms(statistics.median(holds))}, "
                     f"p99 {_ms(_percentile(holds, 0.99))}; "
                     f"slowest append() {_ms(max(calls))}", "hold < 20 ms"))  # fmt: skip

    start = time.perf_counter()
    check = store.db.conn.execute("PRAGMA quick_check").fetchone()[0]
    rows.append(("PRAGMA quick_check (not run on open)", _ms(time.perf_counter() - start),
                 f"result {check}", "info"))  # fmt: skip
    size = sum(p.stat().st_size for p in data_dir.glob("history.sqlite3*"))
    rows.append(("database size", f"{size / 2**20:.0f} MiB", "", "info"))
    store.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--dir", type=Path, default=None, help="keep the generated data here")
    args = parser.parse_args()
    data_dir = args.dir or Path(tempfile.mkdtemp(prefix="history-bench-"))
    marker = data_dir / "bench.json"
    if marker.exists():
        big_id = json.loads(marker.read_text())["big_id"]
        generated = "reused"
    else:
        start = time.perf_counter()
        with HistoryStore.open(data_dir) as store:
            big_id = generate(store, args.conversations, args.messages)
        generated = f"{time.perf_counter() - start:.0f} s"
        marker.write_text(json.dumps({"big_id": big_id}))
    print(
        f"history: {args.conversations:,} conversations, {args.messages:,} messages, "
        f"{BLOB_COUNT:,} blobs referenced; generated in {generated}; at {data_dir}\n"
    )
    rows = measure(data_dir, big_id)
    print("| measurement | result | detail | target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
