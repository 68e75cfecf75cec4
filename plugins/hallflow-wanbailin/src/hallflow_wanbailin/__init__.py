"""hallflow-wanbailin: the Wanbailin district service centre's items and windows as a plugin.

Register :mod:`hallflow_wanbailin.plugin` with a plugin manager, or install the package and
load entry points (the plugin is advertised as ``wanbailin`` in the ``hallflow`` group).
:func:`hallflow_wanbailin.plugin.windows` builds the hall's department windows.
"""

from __future__ import annotations

from hallflow_wanbailin import plugin

__all__ = ["__version__", "plugin"]

__version__ = "0.1.0"
