"""Data files shipped with the package (the fitted pair model); no code."""

__all__: list[str] = []
