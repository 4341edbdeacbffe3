"""hlmtutor.describe (being written)."""

__all__: list[str] = []
