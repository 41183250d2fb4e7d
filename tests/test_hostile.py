"""A corpus of hostile inputs: each is reported once, by name and real problem, and costs nothing else.

Every kind below is written into a folder beside one good article, then the cheap stages of a run
(ingest, cleaning, the pipeline's check that text is left) read the folder under a time limit. Each
kind must give exactly one failure naming it, with a reason holding the expected words; nothing may
raise or hang; the good article (and any good records the input also holds) must come out exactly once.
Unreadable files and folders need a reader without root's rights: as root, those run in a forked child
that drops to ``nobody``. ``benchmarks/hostile_table.py`` prints the kind -> reason table.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import signal
import socket
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from chronique.pipeline import _drop_empty
from chronique.records import Failure, RawDocument, content_id
from chronique.sources import DEFAULT_MAX_BYTES, display_name, read_inputs
from chronique.stages.clean import clean_documents

GOOD_TEXT = "Le budget de la ville est voté\n\nLe conseil municipal a voté mardi le budget de la ville. Le maire a salué un vote unanime.\n"
GOOD_ID = content_id(GOOD_TEXT)
TIME_LIMIT = 30  # seconds per kind: a hang is a failure, not a stuck test run
NOBODY = 65534


@dataclass(frozen=True)
class Kind:
    """One hostile input: how to write it, the words its reason must hold, and the good records it also holds."""

    name: str
    write: Callable[[Path], Path]  # writes the input into the folder, returns the path its failure must name
    words: tuple[str, ...]
    good_records: int = 0
    unprivileged: bool = False  # needs a reader without root's rights (permissions)


def _file(name: str, data: bytes | str | Callable[[], bytes | str]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        content = data() if callable(data) else data  # large inputs are made when their test runs, not on import
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


def _html(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def _jsonl(*records: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("article.txt", GOOD_TEXT * 10)
    return buf.getvalue()


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe.txt")
    return folder / "pipe.txt"


def _socket(folder: Path) -> Path:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "s.txt"))
    sock.close()  # the socket file stays
    return folder / "s.txt"


def _device(folder: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("making a device file needs root")
    os.mknod(folder / "dev.txt", 0o600 | 0o020000, os.makedev(1, 3))  # a character device, like /dev/null
    return folder / "dev.txt"


def _symlink(name: str, target: Callable[[Path], str]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        os.symlink(target(folder), folder / name)
        return folder / name

    return write


def _outside(folder: Path) -> str:
    secret = folder.parent / "secret.txt"
    secret.write_text("Secret\n\nUn texte qui ne doit pas sortir de son dossier.\n")
    return str(secret)


def _bad_name(folder: Path) -> Path:
    path = os.fsdecode(os.fsencode(folder) + b"/x\xff.txt")
    Path(path).write_text("Titre\n\nUn texte au nom illisible.\n")
    return Path(path)


def _unreadable(path: Path, content: str | None) -> Path:
    if content is None:
        path.mkdir()
        (path / "a.txt").write_text("Titre\n\nUn texte caché.\n")
    else:
        path.write_text(content)
    path.chmod(0)
    return path


def _sidecar(rows: str) -> Callable[[Path], Path]:
    return _file("meta.csv", "file,published,language\n" + rows)


def _meta_fifo(folder: Path) -> Path:
    os.mkfifo(folder / "meta.csv")
    return folder / "meta.csv"


def _warc(*pages: tuple[str, bytes]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    for url, body in pages:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    return buf.getvalue()


_GOOD_PAGE = _html(
    "<article><h1>Un pont</h1><p>Le nouveau pont a été inauguré samedi par la maire devant une foule nombreuse.</p></article>"
)
_ENTITIES = '<!DOCTYPE html [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
_BIG = "x" * (DEFAULT_MAX_BYTES + 10)


def _long_text() -> str:
    return "Titre\n\n" + ("Une phrase de plus dans un texte sans fin. " * 100 + "\n\n") * 1000  # 4.3 M characters


_CHROME = _html("<p>Leave a reply</p><p>Newsletter</p><p>Publicité</p><p>All rights reserved.</p>")

KINDS = [
    # the audit's reproductions
    Kind("charset rot13", _file("x.html", _html("<p>Texte.</p>", '<meta charset="rot13">')), ("charset", "rot13", "not decode")),
    Kind("charset hex", _file("x.html", _html("<p>Texte.</p>", '<meta charset="hex">')), ("charset", "hex")),
    Kind("file name not UTF-8", _bad_name, ("file name", "utf-8", "0xff")),
    Kind("named pipe", _fifo, ("regular file", "named pipe")),
    Kind("socket", _socket, ("regular file", "socket")),
    Kind("device", _device, ("regular file", "character device")),
    Kind(
        "JSONL record over the cap", _file("a.jsonl", lambda: _jsonl({"text": "Un bon article."}, {"text": _BIG})), ("at most", "bytes"), 1
    ),
    Kind(
        "JSON list record over the cap", _file("a.json", lambda: json.dumps([{"text": "Un bon article."}, {"text": _BIG}])), ("at most",), 1
    ),
    Kind("HTML 100k deep", _file("deep.html", lambda: _html("<div>" * 100_000 + "<p>Texte.</p>" + "</div>" * 100_000)), ("nested", "deep")),
    Kind("XXE page", _file("xxe.html", '<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + _html("<p>&x;</p>")), ("entit",)),
    Kind("billion laughs", _file("lol.html", _ENTITIES + _html("<p>&lol2;</p>")), ("entit", "expansion")),
    Kind("4 MB text", _file("long.txt", _long_text), ("characters", "language models")),
    Kind("date 9999-12-31", _file("a.json", json.dumps({"text": "Un texte.", "published": "9999-12-31"})), ("9999-12-31", "range")),
    Kind("date 0001-01-01", _file("a.json", json.dumps({"text": "Un texte.", "published": "0001-01-01"})), ("0001-01-01", "range")),
    Kind("date not a date", _file("a.json", json.dumps({"text": "Un texte.", "published": "2024-02-30"})), ("iso date", "published")),
    Kind("language not a code", _file("a.json", json.dumps({"text": "Un texte.", "language": "français"})), ("iso 639-1", "language")),
    Kind("NUL after 8 KiB", _file("nul.txt", b"Titre\n\n" + b"Un texte. " * 1000 + b"\x00fin"), ("binary", "nul")),
    Kind("unreadable folder", lambda d: _unreadable(d / "sub", None), ("folder", "permission denied"), unprivileged=True),
    # beyond the audit
    Kind("empty file", _file("empty.txt", b""), ("empty",)),
    Kind("whitespace only", _file("blank.txt", b" \n\t\r\n  "), ("blank",)),
    Kind("binary", _file("bin.txt", bytes(range(1, 256)) * 8), ("binary", "control characters")),
    Kind("truncated gzip", _file("cut.txt.gz", _gz(GOOD_TEXT.encode() * 50)[:40]), ("gzip", "cut short")),
    Kind("gzip bomb", _file("bomb.txt.gz", lambda: _gz(b" " * (DEFAULT_MAX_BYTES + 1000))), ("at most", "decompressed")),
    Kind("JSONL gzip bomb", _file("bomb.jsonl.gz", lambda: _gz(b" " * 60_000_000)), ("at most", "decompressed", "times")),
    Kind("zip in gzip", _file("z.txt.gz", lambda: _gz(_zip_bytes())), ("binary", "zip archive")),
    Kind("gzip named .txt", _file("g.txt", _gz(GOOD_TEXT.encode())), ("binary", "gzip")),
    Kind("PDF named .txt", _file("doc.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), ("binary", "pdf")),
    Kind("UTF-16 without BOM", _file("u16.txt", GOOD_TEXT.replace("budget", "bilan").encode("utf-16-le")), ("binary", "nul byte")),
    Kind("invalid UTF-8", _file("bad.txt", b"Titre\n\nUn texte \xff\xfe cass\xc3."), ("utf-8", "invalid byte")),
    Kind("mixed encodings", _file("mixed.txt", "Titre\n\nÉté ".encode() + "à Paris, café".encode("latin-1")), ("utf-8", "0xe0")),
    Kind("HTML charset unknown", _file("k.html", _html("<p>Texte.</p>", '<meta charset="x-klingon">')), ("known charset", "x-klingon")),
    Kind(
        "HTML bytes invalid in its charset",
        _file("s.html", _html("<p>\x81\x82 \xff</p>", '<meta charset="shift_jis">').encode("latin-1")),
        ("shift_jis",),
    ),
    Kind("JSON title a number", _file("a.json", json.dumps({"text": "Un texte.", "title": 5})), ("'title'", "a number")),
    Kind("JSON text null", _file("a.json", json.dumps({"text": None, "title": "Titre"})), ("'text'", "nothing")),
    Kind("JSON text a number", _file("a.json", json.dumps({"text": 12})), ("'text'", "a number")),
    Kind("JSON text huge", _file("a.json", lambda: json.dumps({"text": _BIG})), ("at most", "one json object")),
    Kind("JSON nested deeply", _file("a.json", "[" * 100_000), ("too deep",)),
    Kind("JSON object nested deeply", _file("a.json", '{"a":' * 100_000 + "1" + "}" * 100_000), ("too deep",)),
    Kind("JSON not an object", _file("a.json", '"juste une chaîne"'), ("json object", "a string")),
    Kind("JSON text after the list", _file("a.json", '[{"text": "Un bon article."}] et puis'), ("after the list",), 1),
    Kind("JSON lone surrogate", _file("a.json", '{"text": "Un texte \\ud800 coupé."}'), ("surrogate", "u+d800")),
    Kind("JSON NUL escape", _file("a.json", '{"text": "Un texte\\u0000 coupé."}'), ("nul",)),
    Kind(
        "JSON bidi override in source",
        _file("a.json", json.dumps({"text": "Un texte.", "source": "\u202ecom.edno\u202c"})),
        ("bidi", "u+202e"),
    ),
    Kind("JSON title only", _file("a.json", json.dumps({"title": "Un titre sans texte"})), ("'text'",)),
    Kind(
        "JSONL blank and garbage lines",
        _file("a.jsonl", _jsonl({"text": "Un bon article."}, "", "  ", "{pas du json")),
        ("invalid json",),
        1,
    ),
    Kind("JSONL only blank lines", _file("a.jsonl", "\n  \n\n"), ("blank",)),
    Kind("JSONL line not UTF-8", _file("a.jsonl", b'{"text": "ok"}\n{"text": "\xff"}\n'), ("utf-8", "0xff"), 1),
    Kind("CSV sidecar bad row", _sidecar("good.txt,le 3 mars,fr\n"), ("iso date", "published")),
    Kind("CSV sidecar bad language", _sidecar("good.txt,2024-03-05,klingon\n"), ("iso 639-1", "language")),
    Kind("CSV sidecar not CSV", _sidecar("good.txt," + "x" * 200_000), ("csv", "field limit")),
    Kind("sidecar a named pipe", _meta_fifo, ("named pipe",)),
    Kind("symlink loop", _symlink("loop.txt", lambda d: "loop.txt"), ("symbolic link", "loops")),
    Kind("symlink out of the folder", _symlink("out.txt", _outside), ("outside", "not followed")),
    Kind("broken symlink", _symlink("gone.txt", lambda d: "nowhere.txt"), ("symbolic link", "broken")),
    Kind("folder symlink loop", _symlink("sub", lambda d: "."), ("symbolic link", "folders are not followed")),
    Kind("permission denied", lambda d: _unreadable(d / "locked.txt", GOOD_TEXT + "bis"), ("permission denied",), unprivileged=True),
    Kind("zero-length .gz", _file("z.txt.gz", b""), ("empty",)),
    Kind("file over the cap", _file("big.txt", lambda: _BIG), ("at most 5000000 bytes",)),
    Kind("WARC of garbage", _file("a.warc", b"GET / HTTP/1.1\r\nnot an archive\r\n"), ("warc",)),
    Kind(
        "WARC record with a rot13 charset",
        _file("a.warc", lambda: _warc(("http://x/1", b"<meta charset=rot13>x"), ("http://x/2", _GOOD_PAGE.encode()))),
        ("rot13",),
        1,
    ),
    Kind("WARC cut short", _file("cut.warc", lambda: _warc(("http://x/1", _GOOD_PAGE.encode()))[:-60]), ("cut short",)),
    Kind("HTML only scripts", _file("s.html", _html("<script>var a = 'texte';</script><style>p {}</style>")), ("text in its body",)),
    Kind("HTML only page chrome", _file("c.html", _CHROME), ("only page chrome",)),
    Kind("control characters", _file("ctl.txt", "Titre\n\n" + "\x01\x02\x03\x1b[31m texte " * 300), ("binary", "control characters")),
    Kind("very long single line", _file("line.txt", "mot " * 300_000), ("characters", "language models")),
]


def _split(items: list) -> tuple[list[RawDocument], list[Failure]]:
    return [i for i in items if isinstance(i, RawDocument)], [i for i in items if isinstance(i, Failure)]


def cheap_run(folder: Path) -> tuple[list[RawDocument], list[Failure]]:
    """The stages of a run before the models: ingest, one document per content, cleaning, and the empty-text check.

    Args:
        folder: the folder to read.

    Returns:
        The documents that would be analysed and stored, and every failure.
    """
    docs, failures = _split(list(read_inputs([folder])))
    first: dict[str, RawDocument] = {}
    for d in docs:
        first.setdefault(d.id, d)  # as the pipeline does: the first input of a content wins
    articles, empty = _drop_empty(clean_documents(list(first.values())))
    kept = {a.id for a in articles}
    return [d for d in first.values() if d.id in kept], failures + empty


def _as_nobody(folder: Path) -> tuple[list[RawDocument], list[Failure]]:
    """Run :func:`cheap_run`'s ingest in a forked child without root's rights; clean here."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: everything it needs is imported already
        try:
            os.close(read)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            items = [[type(i).__name__, *(getattr(i, f) for f in type(i).__slots__)] for i in read_inputs([folder])]
            with os.fdopen(write, "w") as out:
                json.dump(items, out)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as inp:
        raw = json.load(inp)
    os.waitpid(pid, 0)
    docs = [RawDocument(*i[1:]) for i in raw if i[0] == "RawDocument"]
    failures = [Failure(*i[1:]) for i in raw if i[0] == "Failure"]
    articles, empty = _drop_empty(clean_documents(docs))
    return [d for d in docs if d.id in {a.id for a in articles}], failures + empty


def run_kind(kind: Kind, base: Path) -> tuple[Path, list[RawDocument], list[Failure]]:
    """Write ``kind`` beside the good article in a new folder under ``base`` and run the cheap stages on it.

    Returns:
        The hostile input's path, the documents kept and the failures.
    """
    folder = base / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD_TEXT, "utf-8")
    hostile = kind.write(folder)
    if kind.unprivileged and os.geteuid() == 0:
        return hostile, *_as_nobody(folder)
    return hostile, *cheap_run(folder)


def _alarm(signum: int, frame: object) -> None:
    raise TimeoutError(f"the run took more than {TIME_LIMIT} s: an input hangs it")


@pytest.fixture
def base() -> Path:
    """A folder that a reader without root's rights can walk (pytest's own is private to its user)."""
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        os.chmod(tmp, 0o755)
        yield Path(tmp)
        for root, dirs, files in os.walk(tmp):  # give back what a kind locked, so that it can be removed
            for name in dirs + files:
                if not os.path.islink(os.path.join(root, name)):
                    os.chmod(os.path.join(root, name), 0o700)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_hostile_input_is_reported_once_and_costs_nothing_else(kind: Kind, base: Path) -> None:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT)
    try:
        hostile, docs, failures = run_kind(kind, base)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    name = display_name(hostile)
    assert len(failures) == 1, f"expected one failure, got {failures}"
    failure = failures[0]
    assert failure.source == name or failure.source.startswith(name + ":"), f"{failure.source} does not name {name}"
    missing = [w for w in kind.words if w not in failure.reason.lower()]
    assert not missing, f"reason {failure.reason!r} lacks {missing}"
    assert [d.id for d in docs].count(GOOD_ID) == 1
    assert len(docs) == 1 + kind.good_records, [d.source for d in docs]


def test_the_corpus_holds_at_least_forty_kinds() -> None:
    assert len({k.name for k in KINDS}) == len(KINDS) >= 40


def test_utf16_and_utf32_with_a_bom_are_read_as_text(tmp_path: Path) -> None:
    """Audit: UTF-16 with a byte order mark was reported as binary."""
    for i, (codec, bom) in enumerate(
        [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-32-le", codecs.BOM_UTF32_LE)]
    ):
        (tmp_path / f"{i}.txt").write_bytes(bom + f"Titre {i}\n\nUn été à Paris.\n".encode(codec))
        (tmp_path / f"{i}.html").write_bytes(bom + _html(f"<p>Page {i} : un été à Paris.</p>").encode(codec))
    (tmp_path / "l.jsonl").write_bytes(codecs.BOM_UTF16_LE + _jsonl({"text": "Un été."}, {"text": "Un hiver."}).encode("utf-16-le"))
    docs, failures = _split(list(read_inputs([tmp_path])))
    assert not failures
    assert len(docs) == 8 and all("été" in d.content or "hiver" in d.content for d in docs)


def test_a_page_declaring_utf16_in_its_meta_is_read_as_utf8(tmp_path: Path) -> None:
    """A page that can state its own charset in ASCII is not UTF-16 (browsers read it as UTF-8 as well)."""
    (tmp_path / "p.html").write_bytes(_html("<p>Un été.</p>", '<meta charset="utf-16">').encode())
    docs, failures = _split(list(read_inputs([tmp_path])))
    assert not failures and "été" in docs[0].content


@pytest.mark.slow
def test_the_audit_reproductions_through_a_real_run(base: Path) -> None:
    """``chronique run`` over the audit's inputs beside a good article: each is skipped by name, the run goes on."""
    from typer.testing import CliRunner

    from chronique.cli import app
    from chronique.store import Store

    folder = base / "d"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD_TEXT, "utf-8")
    hostile = [
        _file("x.html", _html("<p>T</p>", '<meta charset="rot13">'))(folder),
        _file("y.html", _html("<p>T</p>", '<meta charset="hex">'))(folder),
        _bad_name(folder),
        _fifo(folder),
        _file("late.json", json.dumps({"text": "Le maire a parlé hier soir.", "published": "9999-12-31"}))(folder),
        _file("lang.json", json.dumps({"text": "Le maire a parlé lundi.", "language": "français"}))(folder),
        _file("s.json", '{"text": "Le maire a parl\\udce9 hier."}')(folder),
        _file("long.txt", _long_text)(folder),
    ]
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(600)
    try:
        result = CliRunner().invoke(app, ["run", str(folder), "--db", str(base / "x.db"), "--embedder", "hashing"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output  # some inputs failed, the run itself did not
    store = Store(base / "x.db")
    assert [a.id for a in store.articles()] == [GOOD_ID]
    assert sorted(f.source for f in store.failures()) == sorted(display_name(p) for p in hostile)
