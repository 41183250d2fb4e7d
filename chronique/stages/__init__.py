"""The analysis of each article, in pipeline order: ``clean`` (chrome, HTML), ``language``, ``dates``
(temporal expressions, the event's date), ``entities`` (names), ``represent`` (what the event clusterer
compares, and the embedders) and ``interactions`` (who did what to whom)."""

__all__: list[str] = []
