"""The ``chronique`` command line: parses arguments and calls library functions.

``_app`` holds the typer application, its global options (``--debug``, ``--log-file``), the exit statuses and the
output helpers; the commands register on it from ``_run`` (``run``, ``watch``, ``failures``: articles in),
``_read`` (``report``, ``contacts``, ``timeline``, ``export``, ``serve``: a store read) and ``_eval``
(``eval``: accuracy on the public sets).
"""

# isort: off
from ._app import app
from . import _run, _read, _eval  # noqa: F401  (importing them registers their commands on the app, in this order)
# isort: on

__all__ = ["app"]
