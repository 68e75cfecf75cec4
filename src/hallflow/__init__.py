"""hallflow: the back office of China's government service halls, as an embeddable SDK."""

from hallflow.errors import HallflowError
from hallflow.plugins.hookspecs import hookimpl

__all__ = ["HallflowError", "__version__", "hookimpl"]

__version__ = "0.1.0"
