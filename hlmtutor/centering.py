"""hlmtutor.centering (being written)."""

__all__: list[str] = []
