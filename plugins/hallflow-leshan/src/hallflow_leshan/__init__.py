"""hallflow-leshan: Leshan's housing provident fund withdrawal guide as a hallflow plugin.

Register :mod:`hallflow_leshan.plugin` with a plugin manager, or install the package and
load entry points (the plugin is advertised as ``leshan`` in the ``hallflow`` group).
"""

from __future__ import annotations

from hallflow_leshan import plugin

__all__ = ["__version__", "plugin"]

__version__ = "0.1.0"
