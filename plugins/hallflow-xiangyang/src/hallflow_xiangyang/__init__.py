"""hallflow-xiangyang: the rules of Xiangyang's service centres (2020) as a hallflow plugin.

Register :mod:`hallflow_xiangyang.plugin` with a plugin manager, or install the package and
load entry points (the plugin is advertised as ``xiangyang`` in the ``hallflow`` group).
"""

from __future__ import annotations

from hallflow_xiangyang import plugin

__all__ = ["__version__", "plugin"]

__version__ = "0.1.0"
