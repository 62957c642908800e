"""The words for a worker that died: killed (most likely out of memory), or crashed, with the
llama.cpp assertion that names the cause when its log has one."""

from __future__ import annotations

import signal

from app.engine.base import ErrorKind
from app.engine.local.worker_crash import crash_error, describe_exit


def test_a_killed_worker_is_most_likely_out_of_memory() -> None:
    error = crash_error(-signal.SIGKILL, "answering", "log tail")
    assert error.kind is ErrorKind.OUT_OF_MEMORY
    assert "killed while answering" in error.message and error.detail == "log tail"


def test_an_assertion_in_the_log_is_named_first_and_blames_the_files() -> None:
    log = "loading\nGGML_ASSERT(n > 0) failed\nbye"
    error = crash_error(134, "encoding an image", log)
    assert error.kind is ErrorKind.CRASH
    assert "(exit code 134)" in error.message and "damaged or incompatible" in error.message
    assert error.detail.splitlines()[0] == "GGML_ASSERT(n > 0) failed"
    assert "damaged" not in crash_error(1, "answering", "no assertion").message


def test_how_a_worker_ended_in_words() -> None:
    assert describe_exit(None) == "it stopped answering"
    assert describe_exit(-signal.SIGSEGV) == "it was stopped by SIGSEGV"
    assert describe_exit(-999) == "signal 999"
    assert describe_exit(3) == "exit code 3"
