"""``python -m app`` runs the hookscope command line."""

from app.cli import main

raise SystemExit(main())
