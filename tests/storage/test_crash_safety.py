"""SIGKILL a writer at 50 random moments; nothing committed is ever lost."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.conversation import MessageStatus
from app.storage.history import HistoryStore

KILLS = 50
ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("crash_writer.py")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_sigkill_at_random_moments_loses_nothing_committed(tmp_path: Path) -> None:
    rng = random.Random(20250301)
    data = tmp_path / "data"
    reported: dict[int, list[tuple[int, str]]] = {}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for run in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(data), str(run)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first == b"ready\n", proc.stderr.read() if proc.stderr else first
        time.sleep(rng.uniform(0.02, 0.2))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL, err.decode()
        for line in out.decode().split("\n")[:-1]:  # the last piece may be cut mid-line
            message_id, length, digest = line.split()
            reported.setdefault(int(message_id), []).append((int(length), digest))

    assert len(reported) > KILLS  # the writer really was writing when it died
    with HistoryStore.open(data) as store:
        assert store.db.integrity_check() == ["ok"]
        statuses = dict(store.db.conn.execute("SELECT status, count(*) FROM messages GROUP BY 1"))
        assert "streaming" not in statuses
        assert statuses.get("interrupted", 0) >= 1
        for message_id, reports in reported.items():
            message = store.get_message(message_id)  # present
            for length, digest in reports:
                prefix = message.text[:length]
                assert len(prefix) == length, f"message {message_id} shrank"
                assert hashlib.sha256(prefix.encode()).hexdigest() == digest, message_id
            assert message.status in (MessageStatus.COMPLETE, MessageStatus.INTERRUPTED)
