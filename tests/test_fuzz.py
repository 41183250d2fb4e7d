"""Property-based tests: arbitrary input never raises anything but chronique's own errors.

The text cleaner, the date resolver and the JSON/JSON-lines/CSV readers are fed text and bytes that
hypothesis makes up (plus a few known traps as explicit examples); each must either work or fail with
a :class:`~chronique.errors.ChroniqueError` — the readers, which turn bad input into
:class:`~chronique.records.Failure` records, must not raise at all.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chronique.errors import ChroniqueError
from chronique.records import Article, Failure, RawDocument
from chronique.sources import read_inputs
from chronique.stages.clean import clean_html, clean_text
from chronique.stages.dates import event_date, find_time_expressions

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LANGUAGES = st.one_of(st.none(), st.sampled_from(["fr", "en", "de", "es", "it", "zh"]), st.text(max_size=5))
# Text that looks like news: words, numbers, month names and date-ish punctuation, mixed with anything.
WORDS = st.sampled_from(
    [
        "le",
        "vendredi",
        "mardi",
        "dernier",
        "15",
        "mars",
        "2024",
        "janvier",
        "hier",
        "il y a",
        "jours",
        "Lire aussi :",
        "Par",
        "Jean Dupont",
        "\n",
        "\n\n",
        "/",
        ".",
        "-",
        "1er",
        "May",
        "3",
        "semaines",
    ]
)
NEWSY = st.one_of(st.text(max_size=400), st.lists(WORDS, max_size=60).map(" ".join))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["text", "title", "url", "published", "source", "language", "x"]), inner, max_size=6)
    ),
    max_leaves=12,
)


def _only_own_errors(call: Callable[..., object], *args: object) -> None:
    with contextlib.suppress(ChroniqueError):  # anything else propagates and fails the test
        call(*args)


@FUZZ
@given(NEWSY)
@example("\u2028\u2029\x85\x0b\x0c")
@example("İSTANBUL\n\nİ" * 3)
def test_clean_text_never_raises(text: str) -> None:
    _only_own_errors(clean_text, text)


@pytest.mark.slow  # real models or a large input: out of the edit loop
@FUZZ
@given(st.one_of(NEWSY, NEWSY.map(lambda t: f"<html><body><p>{t}</p></body></html>")))
@example("<html><head><title>x</title></head></html>")
@example("<!-- <p>")
def test_clean_html_never_raises(html: str) -> None:
    _only_own_errors(clean_html, html)


@FUZZ
@given(NEWSY, st.one_of(st.none(), st.dates().map(lambda d: d.isoformat())), LANGUAGES)
@example("le 31 février 2024, le 0 mars", "2024-02-29", "fr")
@example("il y a 99999999 jours", "0001-01-01", "fr")
@example("dans 99999999 semaines", "9999-12-31", "fr")
def test_date_resolver_never_raises(text: str, published: str | None, language: str | None) -> None:
    _only_own_errors(find_time_expressions, "a", text, published, language)
    art = Article("a", "s", "text", "Titre", text, published=published, published_origin="test", language=language)
    _only_own_errors(event_date, art)


def _read(name: str, data: bytes, sidecar: bytes | None = None) -> list[RawDocument | Failure]:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_bytes(data)
        if sidecar is not None:
            (Path(tmp) / "meta.csv").write_bytes(sidecar)
        return list(read_inputs([tmp]))  # must not raise at all: bad input is a Failure


@FUZZ
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode), JSON_VALUES.map(lambda v: json.dumps(v).encode())))
@example(b"[" * 50_000)
@example(b'{"text": ' + b"1" * 5000 + b"}")
@example(b'{"text": "a\\u2028b"}\n{"text": "\xe2\x80\xa8"}')
@example(b'{"text": "ok", "published": "2024-02-30"}')
def test_json_readers_never_raise(data: bytes) -> None:
    for name in ("a.json", "a.jsonl"):
        items = _read(name, data)
        assert all(isinstance(i, RawDocument | Failure) for i in items)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=4), max_size=6).map(
            lambda rows: "\n".join(",".join(r) for r in [["file", "published", "language"], *rows]).encode()
        ),
    )
)
@example(b'file,published,language\n"a.txt,2024')
@example(b"file,published\na.txt," + b"x" * 200_000)
@example(b"file,published\na.txt,\x00")
def test_csv_sidecar_never_raises(sidecar: bytes) -> None:
    items = _read("a.txt", b"Titre\n\nUn texte.\n", sidecar)
    docs = [i for i in items if isinstance(i, RawDocument)]
    assert len(docs) == 1  # a broken sidecar never costs the article beside it


@pytest.mark.parametrize("name", ["a.json", "a.jsonl"])
def test_malformed_json_counts(name: str) -> None:
    """The explicit traps above, each a failure with a message (not a crash)."""
    items = _read(name, b"[" * 50_000)
    assert len(items) == 1 and isinstance(items[0], Failure) and "expected JSON" in items[0].reason
