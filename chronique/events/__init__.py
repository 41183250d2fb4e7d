"""Events and stories: which reports tell one happening, and which happenings continue one another.

``cluster`` (copies, the pair model and the event clusterer), ``placement`` (placing a batch into the stored
grouping by reading its neighbourhood), ``stories`` (linking events), ``summarize`` (an event's headline and
summary) and ``timeline`` (a story's dated entries).
"""

__all__: list[str] = []
