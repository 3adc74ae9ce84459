"""Exceptions with messages a radiologist or a technician can act on.

Every error the library raises on bad input derives from :class:`CalcificationError`, so the command line and the
Slicer panel can show its message as it is, without a traceback.
"""


class CalcificationError(Exception):
    """Base class of every error this product raises on purpose."""


class InputError(CalcificationError, ValueError):
    """The input (file, array, volume node, parameter) cannot be used; the message says why and what to do."""


class CancelledError(CalcificationError):
    """The user cancelled a long operation through the progress callback; nothing was written."""
