"""``python -m scimpolicy``: the command line."""

from scimpolicy.cli import main

raise SystemExit(main())
