"""The command's exit codes, one meaning each (scripts branch on them)."""

EXIT_BAD_INPUT = 2
"""Bad input: a file, a flag, a model that cannot be used; or a privacy refusal."""
EXIT_ENGINE = 3
"""The engine failed (a crash, a server error)."""
EXIT_SOME_FAILED = 4
"""``batch``: at least one input got an error line; the others were answered."""
EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C (128 + SIGINT), what a shell reports for an interrupted command."""
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a command whose reader went away."""
