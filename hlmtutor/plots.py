"""hlmtutor.plots (being written)."""

__all__: list[str] = []
