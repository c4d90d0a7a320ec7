"""One module per ``hookscope`` command: ``add_parser(subparsers)`` and ``main(args)``."""
