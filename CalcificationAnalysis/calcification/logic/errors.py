"""The library's error types, for the Slicer module files (which reach the library only through this layer)."""

from ..core.errors import CalcificationError, CancelledError, InputError

__all__ = ["CalcificationError", "CancelledError", "InputError"]
