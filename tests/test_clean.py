"""Cleaning: every chrome line of the seeds goes, every reporting sentence stays."""

from __future__ import annotations

from pathlib import Path

from chronique.sources import read_inputs
from chronique.stages.clean import ChromeModel, clean_documents, clean_html, clean_text

CHROME = {
    "000": ["Javier AnsorenaSUIVRE"],
    "001": ["ttn-fr-56"],
    "002": [
        "Lire aussi  Le roi Charles",
        "A LIRE AUSSI",
        "Leave a Reply",
        "Your email address will not be published",
        "This site uses Akismet",
        "Recent News",
        "Editor's Pick",
        "| Nouvelles du monde",
    ],
    "003": ["avril 19, 2024", "BreaGeek News", "Obtenez toutes les dernières nouvelles", "READ  Elon Musk"],
    "004": [
        "Soutenez-nous maintenant",
        "soutien aux magazines",
        "Vous nous aiderez à continuer",
        "Aucune nouvelle n’est une mauvaise nouvelle",
    ],
}


def _cleaned(seeds_dir: Path) -> dict[str, tuple[str, object]]:
    docs = [d for d in read_inputs([seeds_dir]) if hasattr(d, "content")]
    return {Path(d.source).name[:3]: (d.content, a) for d, a in zip(docs, clean_documents(docs), strict=True)}


def test_seed_chrome_removed(seeds_dir: Path) -> None:
    for key, (_, art) in _cleaned(seeds_dir).items():
        text = " ".join(art.text.split()).casefold()
        for chrome in CHROME[key]:
            assert " ".join(chrome.split()).casefold() not in text, (key, chrome)
        # the repeated title appears once, as the title, not again in the body
        assert art.title not in art.text or key == "004"


def test_seed_reporting_sentences_kept(seeds_dir: Path) -> None:
    for key, (raw, art) in _cleaned(seeds_dir).items():
        removed = {" ".join(line.split()) for line in art.removed}
        for line in (" ".join(ln.split()) for ln in raw.splitlines()):
            if line and line not in removed and not line.startswith(art.title):
                assert " ".join(line.split()) in " ".join(art.text.split()), (key, line[:60])
        # nothing that reads as reporting was removed
        for line in art.removed:
            assert len(line.split()) < 30, (key, line)


def test_seed_metadata_from_chrome(seeds_dir: Path) -> None:
    cleaned = _cleaned(seeds_dir)
    assert cleaned["000"][1].author == "Javier Ansorena"
    assert cleaned["003"][1].page_date == "avril 19, 2024"
    assert cleaned["003"][1].published == "2022-03-24"  # from meta.csv, never from the page date
    assert cleaned["002"][1].site == "Nouvelles du monde"
    assert cleaned["002"][1].title.startswith("Pour la première fois depuis la guerre en Ukraine")


def test_clean_text_inline() -> None:
    res = clean_text("Un titre\n\nPar Marie Curie\n\nLe fait rapporté.\n\nLire aussi : autre chose\n\nabc-fr-12\n")
    assert res.title == "Un titre"
    assert res.text == "Le fait rapporté."
    assert res.author == "Marie Curie"
    assert res.removed == ["Par Marie Curie", "Lire aussi : autre chose", "abc-fr-12"]


def test_donation_block_stops_at_a_sentence() -> None:
    res = clean_text("Titre\n\nPhrase du reportage.\n\nUn slogan\n\nSoutenez-nous maintenant\n\nSous-titre\n")
    assert "Phrase du reportage." in res.text and "Sous-titre" in res.text
    assert "Un slogan" not in res.text


def test_repeated_lines_across_a_source_are_chrome() -> None:
    from chronique.records import RawDocument

    docs = [RawDocument(f"i{k}", f"site/{k}.txt", f"Titre {k}\n\nFait numéro {k}.\n\nMenu du site\n", "text") for k in range(3)]
    model = ChromeModel(min_articles=3).partial_fit(docs)
    arts = clean_documents(docs, model)
    assert all("Menu du site" not in a.text and "Menu du site" in a.removed for a in arts)
    assert ChromeModel(min_articles=4).partial_fit(docs).is_chrome("site", "Menu du site") is False


def test_html_path_uses_trafilatura() -> None:
    html = (
        "<html><head><title>Grève à Paris</title><meta name='date' content='2019-09-13'></head><body>"
        "<nav><a href='/'>Accueil</a> <a href='/sport'>Sport</a></nav><article><h1>Grève à Paris</h1>"
        + "".join(f"<p>Le trafic du métro parisien a été très perturbé vendredi, phrase numéro {k} du reportage.</p>" for k in range(5))
        + "<p>Lire aussi : une autre histoire</p></article><footer>Tous droits réservés</footer></body></html>"
    )
    res = clean_html(html)
    assert res.title == "Grève à Paris"
    assert "phrase numéro 4" in res.text and "Accueil" not in res.text and "Lire aussi" not in res.text
    assert res.published == "2019-09-13"


def test_a_text_longer_than_the_models_read_is_cut_with_a_note() -> None:
    """Audit: a 4 MB text reached spaCy whole and failed with its raw E088; a page's text is cut and says so."""
    from chronique.records import RawDocument
    from chronique.sources import MAX_TEXT_CHARS

    para = "Une phrase de reportage assez longue pour compter ici, avec des mots. " * 20
    paras = "".join(f"<p>Paragraphe {i}. {para}</p>" for i in range(MAX_TEXT_CHARS // len(para) + 50))
    page = f"<html><body><article>{paras}</article></body></html>"
    line = "mot " * 200  # a whole page on its first line: not a title
    docs = [RawDocument("p", "p.html", page, "html"), RawDocument("t", "t.txt", line + "\n\nTexte.", "text")]
    art, short = clean_documents(docs)
    assert len(art.text) <= MAX_TEXT_CHARS and art.text.endswith(para.strip())
    assert any("text cut to its first" in n and "language models" in n for n in art.notes)
    assert len(short.title) <= 111 and not short.notes
