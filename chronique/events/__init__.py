"""Events and stories: which reports tell one happening, and which happenings continue one another.

``cluster`` (copies, the pair model and the event clusterer), ``merge`` (its second pass: dated events whose reports
together tell one happening), ``placement`` (placing a batch into the stored
grouping by reading its neighbourhood), ``stories`` (linking events), ``summarize`` (an event's headline and
summary), ``timeline`` (a story's dated entries), and what is read from an event's reports: ``contacts`` (who
talked to whom), ``disagreements`` (where the sources differ), ``provenance`` (who reported what first) and
``places`` (where, on a map).
"""

__all__: list[str] = []
