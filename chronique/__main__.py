"""``python -m chronique``: the command line, as the ``chronique`` script."""

from .cli import app

app(prog_name="chronique")
