"""hallflow-zhenlai: the rules of the Zhenlai county approval centre as a hallflow plugin.

Register :mod:`hallflow_zhenlai.plugin` with a plugin manager, or install the package and
load entry points (the plugin is advertised as ``zhenlai`` in the ``hallflow`` group).
"""

from __future__ import annotations

from hallflow_zhenlai import plugin

__all__ = ["__version__", "plugin"]

__version__ = "0.1.0"
