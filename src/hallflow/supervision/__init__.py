"""Supervision (电子监察): the bulk sweep, escalation ladders, and what grows on them."""

__all__: list[str] = []
