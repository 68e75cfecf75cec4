"""Supervision (电子监察) at hall and province scale.

Sweeps, calendar changes, evaluations, complaints, scoring, statistics and reports, all read
from the event store.
"""

__all__: list[str] = []
