"""A writer for the crash-safety test: streams and edits until it is killed.

After every commit it prints ``<message id> <chars committed> <sha256 of those chars>``, so the
test knows exactly what was durable when SIGKILL arrived. Not collected by pytest.
"""

from __future__ import annotations

import hashlib
import random
import sys

from app.core.conversation import MessageStatus, TextPart
from app.storage.history import HistoryStore


def report(message_id: int, text: str) -> None:
    digest = hashlib.sha256(text.encode()).hexdigest()
    sys.stdout.write(f"{message_id} {len(text)} {digest}\n")
    sys.stdout.flush()


def main() -> None:
    data_dir, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    store = HistoryStore.open(data_dir, stream_interval=0.005)
    print("ready", flush=True)
    questions: list[tuple[int, int]] = []  # (conversation id, user message id)
    while True:
        action = rng.random()
        if action < 0.15 and questions:
            cid, question = rng.choice(questions)
            text = f"edited question {rng.random()}"
            edited = store.edit_message(question, [TextPart(text)])
            report(edited, text)
            questions.append((cid, edited))
        elif action < 0.25 and questions:
            cid, _ = rng.choice(questions)
            store.rename(cid, f"renamed {rng.randint(0, 999)}")
        else:
            cid = store.create_conversation()
            text = f"question {rng.random()}"
            question = store.add_message(cid, "user", [TextPart(text)])
            report(question, text)
            questions.append((cid, question))
        reply = store.start_reply(cid, backend="local", model="crash-test")
        committed = ""
        for token in range(rng.randint(20, 200)):
            piece = f"tok{token}·{rng.randint(0, 9)} "
            pending = store.streams.buffered_text(reply) + piece
            if store.append_stream(reply, piece):
                committed += pending
                report(reply, committed)
        committed += store.streams.buffered_text(reply)
        store.finish_reply(reply, MessageStatus.COMPLETE)
        report(reply, committed)


if __name__ == "__main__":
    main()
