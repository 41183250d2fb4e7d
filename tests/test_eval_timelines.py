"""``chronique eval timelines``: reading human timelines, the tilse scores on hand-checked cases, the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chronique.cli import app
from chronique.errors import InputError
from chronique.eval.timelines import evaluate_timelines, most_mentioned, random_timeline, read_reference_timelines, timeline_scores
from chronique.records import Article, TimeExpression


def test_a_human_timeline_is_read_by_day_with_continued_lines(tmp_path: Path) -> None:
    (tmp_path / "fr_digue.txt").write_text(
        "2021-03-02\nLa digue de Port\n- Blanc cède sous la houle .\nDeux maisons sont évacuées .\n"
        "--------------------------------\n2021-03-05\nLes travaux commencent .\n--------------------------------\n",
        "utf-8",
    )
    (tmp_path / "notes.md").write_text("not a timeline", "utf-8")
    refs = read_reference_timelines(tmp_path)
    assert refs == {
        ("digue", "fr"): {
            "2021-03-02": ["La digue de Port-Blanc cède sous la houle .", "Deux maisons sont évacuées ."],
            "2021-03-05": ["Les travaux commencent ."],
        }
    }


def test_unreadable_timelines_are_refused_with_the_file_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="LANG_STORY"):
        read_reference_timelines(tmp_path)
    (tmp_path / "fr_x.txt").write_text("Une phrase sans date .\n2021-01-01\nUne autre .\n", "utf-8")
    with pytest.raises(InputError, match=r"fr_x\.txt:1"):
        read_reference_timelines(tmp_path)


REFERENCE = {"2021-02-17": ["a b d"], "2021-02-20": ["e f"]}


def test_dates_and_rouge_on_the_same_day() -> None:
    s = timeline_scores({"2021-02-17": ["a b c"]}, REFERENCE, str.split)
    assert (s["date_p"], s["date_r"]) == (1.0, 0.5) and s["date_f1"] == pytest.approx(2 / 3)
    # unigrams: a, b of 3 system and 5 reference tokens; bigrams: (a b) of 2 and 3
    for kind in ("concat", "agreement", "align"):
        assert (s[f"{kind}_rouge1_p"], s[f"{kind}_rouge1_r"]) == pytest.approx((2 / 3, 2 / 5))
        assert s[f"{kind}_rouge1_f"] == pytest.approx(0.5)
        assert (s[f"{kind}_rouge2_p"], s[f"{kind}_rouge2_r"]) == pytest.approx((1 / 2, 1 / 3))


def test_a_day_off_counts_half_when_aligned_and_nothing_in_agreement() -> None:
    s = timeline_scores({"2021-02-18": ["a b c"]}, REFERENCE, str.split)
    assert s["date_f1"] == 0.0 and s["agreement_rouge1_f"] == 0.0
    assert s["concat_rouge1_f"] == pytest.approx(0.5)
    # aligned with 02-17, one day apart: the two matches count 1/2 each
    assert (s["align_rouge1_p"], s["align_rouge1_r"]) == pytest.approx((1 / 3, 1 / 5))


def test_without_a_tokenizer_only_dates_are_scored() -> None:
    assert set(timeline_scores({"2021-02-20": ["x"]}, REFERENCE, None)) == {"date_p", "date_r", "date_f1"}


def _article(ident: str, published: str, text: str, days: dict[str, str]) -> Article:
    times = [TimeExpression(ident, text.index(t), text.index(t) + len(t), t, d, "day", "test") for t, d in days.items()]
    return Article(ident, ident, "text", "", text, published=published, times=times)


ARTICLES = [
    _article("a", "2021-03-03", "Le port rouvre. La tempête du 2 mars a tout fermé.", {"2 mars": "2021-03-02"}),
    _article("b", "2021-03-04", "Les pêcheurs comptent les dégâts. Depuis le 2 mars, rien ne sort.", {"2 mars": "2021-03-02"}),
    _article("c", "2021-03-09", "Les assureurs chiffrent la tempête.", {}),
]


def test_the_most_mentioned_baseline_takes_the_day_most_sentences_name() -> None:
    assert most_mentioned(ARTICLES, 1, 1) == {"2021-03-02": ["La tempête du 2 mars a tout fermé."]}


def test_the_random_baseline_is_seeded() -> None:
    one = random_timeline(ARTICLES, 2, 1, seed=3)
    assert one == random_timeline(ARTICLES, 2, 1, seed=3) and len(one) == 2
    assert set(one) <= {"2021-03-02", "2021-03-03", "2021-03-04", "2021-03-09"}


# A story told in French by four reports, written for these tests, and its human timeline in French and English.
_STORY = [
    ("2021-03-03", "La tempête du 2 mars 2021 a fermé le port de Saint-Malo. Les ferries restent à quai."),
    ("2021-03-04", "Le port de Saint-Malo reste fermé depuis la tempête du 2 mars 2021. Les pêcheurs comptent les dégâts."),
    ("2021-03-08", "Le port de Saint-Malo a rouvert le 7 mars 2021 après cinq jours de fermeture. Les ferries repartent."),
    ("2021-03-09", "Depuis sa réouverture le 7 mars 2021, le port de Saint-Malo rattrape les retards."),
]


def _story_files(tmp_path: Path) -> tuple[Path, Path]:
    articles, refs = tmp_path / "story.jsonl", tmp_path / "refs"
    rows = [{"id": f"r{i}", "text": t, "published": d, "language": "fr", "gold_story": "port"} for i, (d, t) in enumerate(_STORY)]
    articles.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    refs.mkdir()
    sep = "-" * 32
    (refs / "fr_port.txt").write_text(
        f"2021-03-02\nUne tempête ferme le port de Saint-Malo .\n{sep}\n2021-03-07\nLe port rouvre .\n{sep}\n", "utf-8"
    )
    (refs / "en_port.txt").write_text(f"2021-03-02\nA storm shuts the port .\n{sep}\n", "utf-8")
    return articles, refs


@pytest.mark.slow
def test_the_eval_command_scores_story_timelines_next_to_both_baselines(tmp_path: Path) -> None:
    articles, refs = _story_files(tmp_path)
    result = evaluate_timelines(articles, refs, embedder="hashing")
    ours = result["metrics"]
    assert set(result["baselines"]) == {"most-mentioned", "random"} and ours["references"] == 2
    assert ours["fr_port:date_f1"] == 1.0 and ours["fr_port:align_rouge2_f"] > 0
    assert "en_port:date_f1" in ours and "en_port:align_rouge2_f" not in ours  # no English report: dates only
    args = ["eval", "timelines", str(articles), "--references", str(refs), "--embedder", "hashing", "--format", "json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["metrics"]["fr_port:date_f1"] == 1.0
    res = CliRunner().invoke(app, ["eval", "timelines", str(articles)])
    assert res.exit_code == 2 and "--references" in res.output
