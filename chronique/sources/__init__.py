"""Sources: where articles come from, each read into :class:`~chronique.records.RawDocument` or a named
:class:`~chronique.records.Failure`.

- :mod:`.files`: files and folders (``.txt``, ``.html``, ``.json``, ``.jsonl``, gzip, ``meta.csv`` sidecars);
- :mod:`.warc`: web archives (``.warc``, ``.warc.gz``);
- :mod:`.web`: web pages fetched politely (robots.txt, rate limits, size caps);
- :mod:`.feeds`: RSS and Atom feeds, their linked pages fetched;
- :mod:`.decode`: what they share: bounded reads of regular files, decoding, HTML checks, dates, failures.
"""

from __future__ import annotations

from .decode import DEFAULT_MAX_BYTES, MAX_TEXT_CHARS, IngestStats, display_name, normalise_date
from .files import INPUT_SUFFIXES, input_kind, read_inputs, read_json_text, walk_inputs

__all__ = [
    "DEFAULT_MAX_BYTES",
    "INPUT_SUFFIXES",
    "MAX_TEXT_CHARS",
    "IngestStats",
    "display_name",
    "input_kind",
    "normalise_date",
    "read_inputs",
    "read_json_text",
    "walk_inputs",
]
