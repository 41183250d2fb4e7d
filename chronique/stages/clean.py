"""Stage 2, clean: strip page chrome and keep every sentence of reporting.

A cleaned text longer than :data:`chronique.sources.MAX_TEXT_CHARS` (what the language models read) is cut
at a paragraph break, with a note on the article.

HTML goes through trafilatura (text, title, date, site, author), then through the same line
rules as plain text. Plain text has its own cleaner: known chrome lines (teasers, comment forms,
donation prompts, tag codes, glued bylines, page dates), a title repeated at the top, and lines
that a corpus shows repeated across many articles of one source (:class:`ChromeModel`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import trafilatura

from ..records import Article, RawDocument
from ..sources import MAX_TEXT_CHARS

__all__ = ["ChromeModel", "CleanResult", "clean_documents", "clean_text"]

# Lines that are chrome whatever their context (matched against the whole, case-folded line).
_CHROME_LINE = re.compile(
    r"^(?:"
    r"leave a (?:reply|comment)|laisser un commentaire|ajouter un commentaire|kommentar schreiben|deja un comentario"
    r"|your email address will not be published.*|votre adresse (?:e-?mail|de messagerie) ne sera pas publiée.*"
    r"|this site uses akismet.*|ce site utilise akismet.*"
    r"|recent (?:news|posts)|editor'?s pick|latest news|trending(?: now)?|most read|les plus lus"
    r"|related (?:posts|articles|stories)|articles? similaires|à lire également|sur le même sujet"
    r"|soutenez-nous(?: maintenant)?|support us(?: now)?|faites un don|donate(?: now)?"
    r"|partagez cet article|share this (?:article|story)|partager(?: sur .*)?|share on .*"
    r"|abonnez-vous.*|subscribe(?: now| to our newsletter.*)?|inscrivez-vous à (?:la|notre) newsletter.*"
    r"|newsletter|publicité|advertisement|anzeige|publicidad|tous droits réservés.*|all rights reserved.*"
    r"|(?:\d+ )?comments?|(?:\d+ )?commentaires?|accepter les cookies.*|we use cookies.*|nous utilisons des cookies.*"
    # page furniture: a machine timestamp alone is never a sentence of reporting (bare links can be: sources)
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
    r")[.!:]?$",
    re.IGNORECASE,
)
# Teasers linking to another article: "Lire aussi ...", "A LIRE AUSSI: ...", "READ  ...".
_TEASER = re.compile(
    r"^(?:(?:à |a )?lire (?:aussi|également)|voir aussi|read (?:also|more)|see also|lesen sie auch|mehr zum thema"
    r"|lea también|leer más|te puede interesar)\b\s*[:\-–]?\s*\S",
    re.IGNORECASE,
)
# An upper-case "READ" before a capitalised headline (spaces are normalised before matching).
_READ_TEASER = re.compile(r"^READ(?::|\s+[-–:])?\s+[A-ZÀ-Þ]")
_CALL_TO_ACTION = re.compile(r"^(?:soutenez-nous|support us|faites un don|donate|abonnez-vous|subscribe)\b", re.I)
_TAIL_MARKER = re.compile(r"^(?:leave a (?:reply|comment)|laisser un commentaire|ajouter un commentaire)\b", re.I)
# "Javier AnsorenaSUIVRE": a byline with the follow button's label glued on.
_GLUED_BYLINE = re.compile(r"^(?P<name>[A-ZÀ-Þ][\w'’.-]+(?:\s+[A-ZÀ-Þ][\w'’.-]+){0,3}?)\s*(?:SUIVRE|FOLLOW|SEGUIR|FOLGEN)$")
_BYLINE = re.compile(r"^(?i:par|by|von|por)\s+(?P<name>[A-ZÀ-Þ][\w'’.-]+(?:\s+[A-ZÀ-Þ][\w'’.-]+){0,3})$")
_TAG_CODE = re.compile(r"^[a-z]{2,6}(?:-[a-z0-9]{1,6}){1,4}$")
_MONTHS = (
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
    r"|january|february|march|april|may|june|july|august|september|october|november|december"
    r"|januar|februar|märz|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|julio|agosto"
    r"|septiembre|octubre|noviembre|diciembre"
)
_PAGE_DATE = re.compile(
    rf"^(?:\w+,? )?(?:\d{{1,2}}(?:er)?\.? (?:{_MONTHS}),? \d{{4}}|(?:{_MONTHS}) \d{{1,2}},? \d{{4}}"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{4}|\d{4}-\d{2}-\d{2})$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…»\"”)\]:]\s*$")
_TITLE_SITE = re.compile(r"^(?P<title>.+?)\s+[|–-]\s+(?P<site>[^|]{2,40})$")
_MAX_TITLE_CHARS = 500  # a longer "title" is a whole page on one line: its first sentence stands for it


@dataclass(slots=True)
class CleanResult:
    """What the cleaner kept and what it removed from one input."""

    title: str
    text: str
    removed: list[str] = field(default_factory=list)
    site: str | None = None
    author: str | None = None
    page_date: str | None = None
    published: str | None = None


class ChromeModel:
    """Learns lines repeated across many articles of one source: those are page chrome.

    Follows scikit-learn: parameters in ``__init__``, counts learnt by :meth:`partial_fit`
    into ``line_counts_`` (keyed by source group and line hash).

    Args:
        min_articles: a line seen in at least this many articles of a group is chrome.
        max_words: longer lines are never taken as chrome (reporting is not repeated verbatim).
    """

    def __init__(self, min_articles: int = 3, max_words: int = 30) -> None:
        self.min_articles = min_articles
        self.max_words = max_words
        self.line_counts_: Counter[tuple[str, str]] = Counter()

    def partial_fit(self, docs: list[RawDocument]) -> ChromeModel:
        """Count each short line once per article of its group."""
        for doc in docs:
            group = source_group(doc)
            keys = {_line_key(line) for line in _lines(doc.content) if len(line.split()) <= self.max_words}
            self.line_counts_.update((group, k) for k in keys)
        return self

    def is_chrome(self, group: str, line: str) -> bool:
        """Say whether ``line`` is repeated chrome in ``group``."""
        if len(line.split()) > self.max_words:
            return False
        return self.line_counts_[(group, _line_key(line))] >= self.min_articles


def source_group(doc: RawDocument) -> str:
    """The group whose repeated lines are chrome: the site, else the input's folder."""
    if doc.site:
        return doc.site
    path = doc.source.rsplit(":", 1)[0] if doc.source.count(":") and doc.source.rsplit(":", 1)[1].isdigit() else doc.source
    return path.rsplit("/", 1)[0] if "/" in path else "."


def _line_key(line: str) -> str:
    """Hash of a line's case-folded, space-normalised form."""
    return hashlib.blake2b(_norm(line).encode(), digest_size=8).hexdigest()


def _norm(line: str) -> str:
    """Case-folded line with runs of spaces collapsed and NFC-normalised."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", line)).strip().casefold()


def _lines(text: str) -> list[str]:
    """Non-blank lines with their spaces normalised."""
    return [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.splitlines() if ln.strip()]


def clean_documents(docs: list[RawDocument], chrome: ChromeModel | None = None) -> list[Article]:
    """Clean a batch of documents into articles.

    Args:
        docs: documents from :func:`chronique.sources.read_inputs`.
        chrome: a fitted :class:`ChromeModel`; lines it knows as repeated chrome are removed.

    Returns:
        One :class:`Article` per document, in order, with ``removed`` listing the chrome lines.
    """
    articles = []
    for doc in docs:
        group = source_group(doc)
        repeated = (lambda line, g=group: chrome.is_chrome(g, line)) if chrome else None
        res = clean_html(doc.content, repeated) if doc.fmt == "html" else clean_text(doc.content, repeated)
        art = Article(id=doc.id, source=doc.source, fmt=doc.fmt, title=doc.title or res.title, text=res.text)
        art.url, art.language, art.removed, art.page_date = doc.url, doc.language, res.removed, res.page_date
        art.site, art.author = doc.site or res.site, res.author
        art.published, art.published_origin = doc.published, doc.published_origin
        if not art.published and res.published:
            art.published, art.published_origin = res.published, "html-metadata"
        _cap_length(art)
        if len(art.title) > _MAX_TITLE_CHARS:  # a page's first line, when it is the whole page
            art.title = _title_from(art.title)
        articles.append(art)
    return articles


def _cap_length(art: Article) -> None:
    """Cut a text longer than the language models read (spaCy's limit) at a paragraph break, and say so.

    Plain-text and JSON inputs that long are refused at ingest; a page's markup is capped by bytes, not
    by the length of the text it holds, so a page can still get here with more.
    """
    if len(art.text) <= MAX_TEXT_CHARS:
        return
    cut = art.text.rfind("\n\n", 0, MAX_TEXT_CHARS)
    cut = cut if cut > MAX_TEXT_CHARS // 2 else MAX_TEXT_CHARS
    art.notes.append(f"text cut to its first {cut} of {len(art.text)} characters (the most the language models read)")
    art.text = art.text[:cut].rstrip()
    art.title = art.title[: MAX_TEXT_CHARS // 100]


def clean_html(html: str, repeated=None) -> CleanResult:
    """Extract an HTML page's article with trafilatura, then apply the line rules.

    Args:
        html: the page source.
        repeated: optional predicate telling lines known as repeated chrome.

    Returns:
        The cleaned result; the date is trafilatura's metadata date (never one from page text).
    """
    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        favor_precision=True,  # page furniture costs the clusterer more than a missed paragraph (P .958 R .969 here)
        include_tables=True,  # tables carry reporting too (results, figures); the benchmark's truth keeps them
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    body = (doc.text if doc is not None else None) or trafilatura.html2txt(html) or ""
    res = clean_text(body, repeated, find_title=False)
    if doc is not None:
        res.title = (doc.title or res.title or "").strip()
        res.site, res.author = doc.sitename or None, doc.author or None
        res.published = doc.date or None
    if not res.title:
        res.title = _title_from(res.text)
    return res


_HEAD_LINES = 8  # where a page's title and teasers sit, above the article


def clean_text(text: str, repeated=None, find_title: bool = True) -> CleanResult:
    """Clean a plain-text page: drop chrome lines, find the title, keep every reporting sentence.

    Args:
        text: the page text, lines as saved by a scraper.
        repeated: optional predicate telling lines known as repeated chrome in the corpus.
        find_title: take the first meaningful line as the title (plain text inputs).

    Returns:
        The title, the kept text (paragraphs separated by blank lines) and the removed lines.

    Example:
        >>> r = clean_text("Titre\\n\\nUn fait.\\n\\nLire aussi : autre chose\\n")
        >>> (r.title, r.text, r.removed)
        ('Titre', 'Un fait.', ['Lire aussi : autre chose'])
    """
    lines = _lines(text)
    res = CleanResult(title="", text="")
    lines = _drop_header(lines, res) if find_title else lines
    keep = [True] * len(lines)
    seen: set[str] = set()
    for i, line in enumerate(lines):
        key = _norm(_TITLE_SITE.sub(r"\g<title>", line))
        if key in seen and len(line.split()) < 40:
            keep[i] = False  # a repeated title or teaser
        if i < _HEAD_LINES:
            # Only the head's lines count as titles: further down a repeated line is content
            # (the same question put to each guest of an interview, a recipe's repeated step).
            seen.add(key)
        if _is_chrome_line(line, res) or (repeated is not None and repeated(line)):
            keep[i] = False
    _expand_chrome_blocks(lines, keep)
    kept = [ln for ln, k in zip(lines, keep, strict=True) if k]
    res.removed += [ln for ln, k in zip(lines, keep, strict=True) if not k]
    if find_title and kept:
        title_line = kept[0]
        m = _TITLE_SITE.match(title_line)
        if m and len(m["site"].split()) <= 5:
            title_line, res.site = m["title"], m["site"].strip()
        if _is_sentence(title_line):
            res.title = _title_from(title_line)  # an opening sentence, not a headline: keep it in the text
        elif len(kept) > 1:
            res.title, kept = title_line, kept[1:]
        else:
            res.title = title_line  # a one-line article: the line is both title and text
    res.text = "\n\n".join(kept)
    if not res.title:
        res.title = _title_from(res.text)
    return res


def _drop_header(lines: list[str], res: CleanResult) -> list[str]:
    """Remove the masthead above a title that the page repeats (site name, tagline, page date)."""
    heads = [_norm(_TITLE_SITE.sub(r"\g<title>", ln)) for ln in lines[:10]]
    for i, key in enumerate(heads):
        if heads.count(key) > 1 and 0 < i <= 6:
            for line in lines[:i]:
                _is_chrome_line(line, res)  # records a page date if there is one
            res.removed += lines[:i]
            return lines[i:]
    return lines


def _is_chrome_line(line: str, res: CleanResult) -> bool:
    """Say whether a line is chrome by its own content; note bylines and page dates."""
    if _CHROME_LINE.match(line) or _TEASER.match(line) or _READ_TEASER.match(line) or _TAG_CODE.match(line):
        return True
    m = _GLUED_BYLINE.match(line) or _BYLINE.match(line)
    if m:
        res.author = m["name"].strip()
        return True
    if _PAGE_DATE.match(line):
        res.page_date = res.page_date or line
        return True
    return False


def _expand_chrome_blocks(lines: list[str], keep: list[bool]) -> None:
    """Extend chrome over the fragments around calls to action and after a comment form."""
    for i, line in enumerate(lines):
        if _TAIL_MARKER.match(line) and all(len(ln.split()) < 25 for ln in lines[i:]):
            for j in range(i, len(lines)):
                keep[j] = False
        if _CALL_TO_ACTION.match(line):
            j = i - 1
            # A donation prompt is a run of slogan fragments above its button; stop at a sentence.
            while j >= 0 and keep[j] and not _SENTENCE_END.search(lines[j]) and len(lines[j].split()) < 25:
                keep[j] = False
                j -= 1


def _is_sentence(line: str) -> bool:
    """A line that reads as a sentence of reporting rather than a headline."""
    return len(line.split()) >= 20 and bool(_SENTENCE_END.search(line))


def _title_from(text: str, limit: int = 110) -> str:
    """A headline-length prefix of the first sentence of ``text``."""
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0] if text.strip() else ""
    if len(first) <= limit:
        return first.rstrip(".")
    return first[:limit].rsplit(" ", 1)[0] + "…"
