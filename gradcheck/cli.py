"""The command line: parse, call the library, render, exit."""

from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradcheck")
def main() -> None:
    """Check hand-written gradients against finite differences and name the bug."""
