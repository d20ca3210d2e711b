"""Subcommands of the ``admodes`` command line, one module each (see `admodes.cli`)."""
