"""Supervision (电子监察) above the cases: evaluations, complaints, scoring, accountability."""

__all__: list[str] = []
