"""What a user does with a store: the report (``chronique report``), exports (``chronique export``), and
watching a folder (``chronique watch``). The web app is :mod:`chronique.serve`.
"""

from __future__ import annotations

from .export import ExportFormat, ExportKind, export, export_rows
from .report import build_report, print_report, printable

__all__ = ["ExportFormat", "ExportKind", "build_report", "export", "export_rows", "print_report", "printable"]
