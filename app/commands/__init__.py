"""The command line's sub-commands beyond the parser itself (``app.cli``): reading what a
script hands over (prompts from stdin or files, globs, PDF pages, JSON schemas), batches and
the history link. Nothing here loads Qt; everything a bad input produces is one sentence."""
