"""ambmap: carte des ambassadeurs·rices de santé dans les quartiers prioritaires (QPV)."""

__version__ = "0.1.0"
