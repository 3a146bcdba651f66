"""The ``gemgate`` command line."""

from __future__ import annotations

import click

from gemgate._version import __version__


@click.group()
@click.version_option(__version__, prog_name="gemgate")
def main() -> None:
    """gemgate: safe, exact, cost-aware calls to Google's Gemini API."""


def _register() -> None:
    from gemgate.cli.emulator_cmd import emulator
    from gemgate.cli.run_cmd import run

    main.add_command(emulator)
    main.add_command(run)


_register()
