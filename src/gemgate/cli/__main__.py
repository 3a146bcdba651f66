"""``python -m gemgate.cli`` runs the ``gemgate`` command."""

from gemgate.cli import main

main()
