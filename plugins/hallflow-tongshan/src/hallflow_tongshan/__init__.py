"""hallflow-tongshan: the Tongshan service centre's monthly assessment as a hallflow plugin.

Register :mod:`hallflow_tongshan.plugin` with a plugin manager, or install the package and
load entry points (the plugin is advertised as ``tongshan`` in the ``hallflow`` group).
"""

from __future__ import annotations

from hallflow_tongshan import plugin

__all__ = ["__version__", "plugin"]

__version__ = "0.1.0"
