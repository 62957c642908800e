"""``python -m app``: the window, or the CLI when a sub-command is given."""

from app.cli import main

raise SystemExit(main())
