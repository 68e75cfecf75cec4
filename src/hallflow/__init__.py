"""hallflow: the back office of China's government service halls, as an embeddable SDK."""

from hallflow.errors import HallflowError

__all__ = ["HallflowError", "__version__"]

__version__ = "0.1.0"
