"""Tests of the evaluation harness: metrics on hand-computed cases, readers on tiny fixtures (no models)."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

from chronique.errors import ConfigError, InputError
from chronique.eval import (
    SemevalPair,
    adjusted_rand,
    agglomerative_labels,
    bcubed,
    cluster_errors,
    clustering_metrics,
    correlation_metrics,
    decode_html,
    detokenise,
    ecb_gold_event,
    evaluate,
    format_table,
    level_metrics,
    mean_shingle_scores,
    news_levels,
    pairwise_f1,
    pearson,
    read_ecbplus,
    read_news_events,
    read_semeval,
    shingle_counts,
    shingle_scores,
)

# Four items: gold {a, b, c} {d}; predicted {a, b} {c, d}.
GOLD = {"a": 1, "b": 1, "c": 1, "d": 2}
PRED = {"a": "x", "b": "x", "c": "y", "d": "y"}


# -- clustering metrics --------------------------------------------------------------------------
def test_bcubed_by_hand():
    # precision per item: a 2/2, b 2/2, c 1/2 (c,d predicted together, only c is gold 1), d 1/2 -> 3/4
    # recall per item:    a 2/3, b 2/3, c 1/3, d 1/1 -> (2/3 + 2/3 + 1/3 + 1) / 4 = 2/3
    p, r, f = bcubed(PRED, GOLD)
    assert p == pytest.approx(0.75)
    assert r == pytest.approx(2 / 3)
    assert f == pytest.approx(2 * 0.75 * (2 / 3) / (0.75 + 2 / 3))  # 0.70588...
    assert f == pytest.approx(12 / 17)


def test_bcubed_perfect_and_all_in_one():
    assert bcubed(GOLD, GOLD) == pytest.approx((1.0, 1.0, 1.0))
    # everything in one cluster: precision = (3/4 * 3 + 1/4) / 4 = 10/16, recall 1
    p, r, _ = bcubed(dict.fromkeys(GOLD, 0), GOLD)
    assert (p, r) == pytest.approx((10 / 16, 1.0))


def test_bcubed_missing_prediction_is_a_singleton_and_extra_items_are_ignored():
    pred = {"a": "x", "b": "x", "d": "y", "zzz": "x"}  # c missing -> singleton
    p, r, _ = bcubed(pred, GOLD)
    assert p == pytest.approx(1.0)
    assert r == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)


def test_bcubed_refuses_empty_gold():
    with pytest.raises(ValueError):
        bcubed({}, {})


def test_pairwise_f1_by_hand():
    # predicted pairs: (a,b) (c,d) -> 2; gold pairs: (a,b) (a,c) (b,c) -> 3; shared: (a,b) -> 1
    p, r, f = pairwise_f1(PRED, GOLD)
    assert (p, r) == pytest.approx((0.5, 1 / 3))
    assert f == pytest.approx(0.4)


def test_pairwise_f1_without_pairs():
    singletons = {k: k for k in GOLD}
    assert pairwise_f1(singletons, GOLD) == pytest.approx((1.0, 0.0, 0.0))


def test_adjusted_rand():
    assert adjusted_rand(PRED, GOLD) == pytest.approx(0.0)  # by hand: index 1, expected 1, max 2.5
    assert adjusted_rand({"a": 0, "b": 0, "c": 1, "d": 1}, {"a": "p", "b": "p", "c": "q", "d": "q"}) == 1.0


def test_clustering_metrics_counts():
    m = clustering_metrics(PRED, GOLD)
    assert (m["events_found"], m["events_gold"]) == (2, 2)
    assert m["bcubed_f1"] == pytest.approx(12 / 17)


def test_cluster_errors_names_merges_and_splits():
    lines = cluster_errors(PRED, GOLD)
    assert "merged: cluster y mixes 1 (1), 2 (1)" in lines
    assert "split: 1 over 2 clusters (sizes 2, 1)" in lines


def test_agglomerative_labels_fixed_threshold():
    labels = agglomerative_labels([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]], 0.5)
    assert labels[0] == labels[1] != labels[2]
    assert agglomerative_labels([[1.0, 0.0]], 0.5) == [0]


# -- correlation ---------------------------------------------------------------------------------
def test_pearson_by_hand():
    # xs mean 2, ys mean 3; cov sum = (-1)(-2) + 0 + (1)(2) = 4; sx = sqrt 2, sy = sqrt 8 -> 4/4 = 1
    assert pearson([1, 2, 3], [1, 3, 5]) == pytest.approx(1.0)
    # ys mean 4/3: (-1)(2/3) + 0(-4/3) + (1)(2/3) = 0 -> 0
    assert pearson([1, 2, 3], [2, 0, 2]) == pytest.approx(0.0)
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValueError):
        pearson([1, 2], [1, 2, 3])


def test_correlation_metrics_negates_overall_and_splits_languages():
    pairs = [
        SemevalPair(str(i), lang, "en", "", "", overall)
        for i, (lang, overall) in enumerate([("de", 1.0), ("de", 2.0), ("de", 4.0), ("en", 1.0), ("en", 4.0)])
    ]
    m = correlation_metrics(pairs, [0.9, 0.5, 0.1, 0.8, None])
    assert m["pearson_de-en"] > 0.9  # high similarity where Overall is low (very similar)
    assert m["pearson_en-en"] == pytest.approx(1.0)  # None counts as 0.0
    assert (m["pairs"], m["pairs_unscored"]) == (5, 1)
    assert not math.isnan(m["pearson_scored"])


# -- shingles ------------------------------------------------------------------------------------
def test_shingle_scores_by_hand():
    truth = "a b c d e"  # shingles: abcd, bcde
    pred = "a b c d x y"  # shingles: abcd, bcdx, cdxy
    assert shingle_counts(pred, truth) == (1, 2, 1)
    assert shingle_scores(pred, truth) == pytest.approx((1 / 3, 1 / 2))


def test_shingle_scores_edge_cases():
    assert shingle_scores("", "") == (1.0, 1.0)
    assert shingle_scores("", "a b c d") == (0.0, 0.0)
    assert shingle_scores("a b c d", "") == (0.0, 0.0)
    assert shingle_scores("Hello, world!", "hello world") == (0.0, 0.0)  # case kept, as the benchmark does
    assert shingle_scores("one two", "one two") == (1.0, 1.0)  # shorter than n: one shingle


def test_mean_shingle_scores_follows_the_benchmark_averaging():
    counts = [(1, 2, 1), (0, 0, 4)]  # second document: empty prediction, left out of precision
    p, r, f = mean_shingle_scores(counts)
    assert p == pytest.approx(1 / 3)
    assert r == pytest.approx((0.5 + 0.0) / 2)
    assert f == pytest.approx(2 * p * r / (p + r))


def test_decode_html_uses_meta_charset():
    page = '<html><head><meta charset="iso-8859-1"></head><body>café</body></html>'.encode("latin-1")
    assert "café" in decode_html(page)
    assert "café" in decode_html("<p>café</p>".encode())


# -- readers -------------------------------------------------------------------------------------
ECB = (
    "35_7ecb.xml\t0\t0\tSan\n35_7ecb.xml\t0\t1\tDiego\n35_7ecb.xml\t0\t2\t's\n35_7ecb.xml\t0\t3\tJackson\n"
    "35_7ecb.xml\t0\t4\tarrested\n\n"
    "35_7ecb.xml\t1\t0\tHe\n35_7ecb.xml\t1\t1\tfails\n35_7ecb.xml\t1\t2\t(\n35_7ecb.xml\t1\t3\ttests\n"
    "35_7ecb.xml\t1\t4\t)\n35_7ecb.xml\t1\t5\t,\n35_7ecb.xml\t1\t6\tpolice\n35_7ecb.xml\t1\t7\tsay\n"
    "35_7ecb.xml\t1\t8\t.\t\n\n"
    "35_3ecbplus.xml\t0\t0\tAnother\n35_3ecbplus.xml\t0\t1\tarrest\n\n"
    "2_1ecb.xml\t0\t0\tOscars\n\n"
)


def _write(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_read_ecbplus(tmp_path):
    path = _write(tmp_path, "dev_text.txt", ECB)
    docs = read_ecbplus(path)
    assert [d.doc_id for d in docs] == ["35_7ecb.xml", "35_3ecbplus.xml", "2_1ecb.xml"]
    first = docs[0]
    assert first.title == "San Diego's Jackson arrested"
    assert first.text == "San Diego's Jackson arrested\nHe fails (tests), police say."
    assert [d.gold for d in docs] == ["35-ecb", "35-ecbplus", "2-ecb"]
    assert [d.gold for d in read_ecbplus(path, limit=2)] == ["35-ecb", "35-ecbplus"]


def test_read_ecbplus_refuses_bad_lines(tmp_path):
    path = tmp_path / "dev_text.txt"
    path.write_text("35_7ecb.xml\t0\tSan\n", encoding="utf-8")
    with pytest.raises(InputError, match=":1"):
        read_ecbplus(path)


def test_ecb_gold_event_and_detokenise():
    assert ecb_gold_event("35_9ecb.xml") == "35-ecb"
    assert ecb_gold_event("35_3ecbplus.xml") == "35-ecbplus"
    with pytest.raises(ValueError):
        ecb_gold_event("notes.txt")
    assert detokenise(["It", "does", "n't", "cost", "$", "5", "!"]) == "It doesn't cost $5!"


SEMEVAL = (
    ",pair_id,lang1,lang2,text1,text2,Geography,Entities,Time,Narrative,Overall,Style,Tone\n"
    '1,p1,de,en,"Ein Text, mit Komma","An English text",1,1,1,1,1.5,1,1\n'
    '2,p2,EN,en,"A ""quoted""\nmultiline text",Other,4,4,4,4,4.0,4,4\n'
)


def test_read_semeval(tmp_path):
    pairs = read_semeval(_write(tmp_path, "training_set.csv", SEMEVAL))
    path = tmp_path / "training_set.csv"
    assert [(p.pair_id, p.languages, p.overall) for p in pairs] == [("p1", "de-en", 1.5), ("p2", "en-en", 4.0)]
    assert pairs[0].text1 == "Ein Text, mit Komma"
    assert pairs[1].text1 == 'A "quoted"\nmultiline text'
    assert len(read_semeval(path, limit=1)) == 1


def test_read_semeval_leaves_the_csv_field_limit_as_it_found_it(tmp_path):
    import csv

    before = csv.field_size_limit()
    path = tmp_path / "pairs.csv"
    path.write_text("pair_id,lang1,lang2,text1,text2,Overall\n", encoding="utf-8")
    read_semeval(path)
    assert csv.field_size_limit() == before  # the ingest's own CSV limit must not be widened for the process


def test_read_semeval_refuses_missing_columns(tmp_path):
    path = tmp_path / "training_set.csv"
    path.write_text("pair_id,text1\np1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing"):
        read_semeval(path)


# -- entry points --------------------------------------------------------------------------------
def test_evaluate_refuses_unknown_dataset_and_bad_paths(tmp_path):
    with pytest.raises(ConfigError):
        evaluate("imagenet", str(tmp_path))
    with pytest.raises(InputError):
        evaluate("ecbplus", str(tmp_path / "absent.txt"))
    with pytest.raises(InputError):
        evaluate("semeval2022", str(tmp_path))  # a folder without training_set.csv
    with pytest.raises(ConfigError):
        evaluate("ecbplus", str(tmp_path), limit=0)


def test_evaluate_article_extraction_on_a_tiny_set(tmp_path):
    body = "The council voted on Tuesday to close the old bridge to traffic for repairs. " * 3
    html = f"<html><head><title>Bridge</title></head><body><article><p>{body}</p></article></body></html>"
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "p1.html.gz").write_bytes(gzip.compress(html.encode()))
    (tmp_path / "ground-truth.json").write_text(json.dumps({"p1": {"articleBody": body, "url": "u"}}))
    result = evaluate("article-extraction", str(tmp_path))
    assert result["metrics"]["documents"] == 1
    assert result["metrics"]["f1"] > 0.9
    assert "trafilatura" in result["baselines"]
    assert "IN-SAMPLE" in result["notes"][0] and "held-out" in result["notes"][0]


def test_format_table():
    result = {
        "dataset": "x",
        "metrics": {"f1": 0.5, "documents": 3},
        "baselines": {"base": {"f1": math.nan}},
        "notes": ["a note"],
        "failures": [],
    }
    text = format_table(result)
    lines = text.splitlines()
    assert lines[0] == "dataset: x"
    assert lines[1].split() == ["metric", "chronique", "base"]
    assert lines[2].split() == ["f1", "0.500", "nan"]
    assert lines[3].split() == ["documents", "3", "-"]
    assert "- a note" in lines
    assert "failures:" not in text


# -- news-events ---------------------------------------------------------------------------------
def _news_file(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_read_news_events_keeps_whole_groups_under_a_limit(tmp_path):
    rows = [{"id": f"a{i}", "text": "t", "gold_event": g} for i, g in enumerate(["E1", "E1", "E2", "E2", "E2", "E3"])]
    arts = read_news_events(_news_file(tmp_path, rows), limit=4)
    assert [a.gold_event for a in arts] == ["E1", "E1"]  # E2 would pass the limit: a slice keeps whole groups
    assert len(read_news_events(_news_file(tmp_path, rows))) == 6


def test_read_news_events_reads_a_timestamp_as_its_day(tmp_path):
    rows = [{"id": "a", "text": "t", "gold_event": "E", "published": "2013-01-30T03:43:55"}]
    assert read_news_events(_news_file(tmp_path, rows))[0].published == "2013-01-30"


def test_read_news_events_names_the_bad_line_and_refuses_unlabelled_files(tmp_path):
    with pytest.raises(InputError, match=r"news.jsonl:2"):
        read_news_events(_news_file(tmp_path, [{"id": "a", "text": "t", "gold_event": "E"}, {"id": "b", "text": None}]))
    with pytest.raises(InputError, match="gold_event"):
        read_news_events(_news_file(tmp_path, [{"id": "a", "text": "t"}]))


def test_level_metrics_over_groups_of_two_or_more_by_hand():
    gold = {"a": 1, "b": 1, "c": 2}
    pred = {"a": "x", "b": "y", "c": "x"}
    every = level_metrics(pred, gold, "events_")
    # a: P 1/2 (a, c predicted together), R 1/2; b: P 1, R 1/2; c: P 1/2, R 1
    assert every["events_bcubed_precision"] == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert every["events_bcubed_recall"] == pytest.approx((0.5 + 0.5 + 1) / 3)
    assert every["events_found"] == 2 and every["events_gold"] == 2
    two = level_metrics(pred, gold, "events_2plus_", min_size=2)  # c's single-article group is left out
    assert two["events_2plus_bcubed_precision"] == 1.0
    assert two["events_2plus_bcubed_recall"] == 0.5
    assert two["events_2plus_gold"] == 1


def test_news_levels_scores_events_and_stories_against_their_own_labels(tmp_path):
    rows = [
        {"id": "a", "text": "t", "gold_event": "E1", "gold_story": "S"},
        {"id": "b", "text": "t", "gold_event": "E1", "gold_story": "S"},
        {"id": "c", "text": "t", "gold_event": "E2", "gold_story": "S"},
        {"id": "d", "text": "t", "gold_event": "E3", "gold_story": "T"},
    ]
    arts = read_news_events(_news_file(tmp_path, rows))
    events = {"a": "x", "b": "x", "c": "y", "d": "z"}
    stories = {"a": "s", "b": "s", "c": "s", "d": "t"}
    m = news_levels(events, stories, arts)
    assert m["events_bcubed_f1"] == 1.0 and m["stories_bcubed_f1"] == 1.0
    assert "stories_vs_events_bcubed_f1" not in m
    # scored against the other level, the same predictions are wrong: events split the story S
    assert news_levels(stories, events, arts)["stories_bcubed_recall"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)


def test_news_levels_with_event_labels_only_scores_stories_against_events(tmp_path):
    rows = [{"id": k, "text": "t", "gold_event": g} for k, g in [("a", "E1"), ("b", "E1"), ("c", "E2"), ("d", "E3")]]
    arts = read_news_events(_news_file(tmp_path, rows))
    m = news_levels({"a": 1, "b": 1, "c": 2, "d": 3}, {"a": 1, "b": 1, "c": 1, "d": 3}, arts)
    assert m["stories_vs_events_bcubed_precision"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert "stories_bcubed_f1" not in m
    # two of three gold groups hold one article: events are also scored over the groups of two or more
    assert m["events_2plus_bcubed_f1"] == 1.0 and m["events_2plus_gold"] == 1
