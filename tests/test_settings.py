"""Settings: defaults in code, a TOML file over them, the CLI over that; bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest

from chronique.errors import ConfigError
from chronique.settings import Settings, load_settings


def test_a_file_changes_what_it_names_flat_or_in_sections(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("batch_size = 8\n\n[events]\nthreshold = 0.6\n\n[stories]\nwindow_days = 30\ndecay = 1\n", "utf-8")
    s = load_settings(cfg)
    assert (s.batch_size, s.event_threshold, s.story_window_days, s.story_decay) == (8, 0.6, 30, 1.0)
    assert s.story_threshold == Settings().story_threshold  # what the file does not name keeps its default
    assert load_settings(cfg, batch_size=16, embedder=None).batch_size == 16  # the CLI wins; None: not given


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("bach_size = 8\n", "bach_size"),
        ("[event]\nthreshold = 0.6\n", "[event]"),
        ("[events]\nthreshold = 1.5\n", "event_threshold"),
        ('batch_size = "8"\n', "expected int, got str"),
        ("batch_size = 0\n", "at least 1"),
        ("batch_size = \n", "TOML"),
    ],
)
def test_a_bad_file_is_refused_with_its_name_and_the_key(tmp_path: Path, text: str, says: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert str(cfg) in str(err.value) and says in str(err.value)


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().batch_size = 3  # type: ignore[misc]


def test_a_run_follows_its_settings(tmp_path: Path) -> None:
    from chronique.pipeline import Pipeline
    from chronique.records import RawDocument, content_id
    from chronique.store import Store

    texts = [
        "Le ministre Alain Vidal a téléphoné mardi à son homologue Karl Brandt pour demander un cessez-le-feu immédiat.",
        "Alain Vidal a appelé mardi Karl Brandt et exigé un cessez-le-feu immédiat, selon le porte-parole du ministère.",
    ]
    docs = [RawDocument(content_id(t), f"{k}.txt", t, "text") for k, t in enumerate(texts)]
    events = {}
    strict = Settings(embedder="hashing", event_threshold=1.0, event_merge=1.0)  # neither pass joins anything
    for name, settings in (("default", Settings(embedder="hashing")), ("strict", strict)):
        events[name] = Pipeline(Store(tmp_path / f"{name}.db"), settings=settings).run_documents(docs).events
    assert events == {"default": 1, "strict": 2}


def test_the_cli_names_a_bad_settings_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chronique.cli import app

    cfg = tmp_path / "bad.toml"
    cfg.write_text("[events]\nthreshold = 2\n", "utf-8")
    (tmp_path / "in").mkdir()
    out = CliRunner().invoke(app, ["run", str(tmp_path / "in"), "--db", str(tmp_path / "c.db"), "--config", str(cfg)])
    assert out.exit_code == 2 and "bad.toml" in out.output and "event_threshold" in out.output
    assert not (tmp_path / "c.db").exists()  # refused before anything was written
