"""Credentials for a DICOMweb server: from the environment or from a file named on the command line, never from the
command line itself (it shows in process lists and shell histories).

Sources, first found wins:

1. a credentials file (``--credentials-file FILE``): a JSON object ``{"username": ..., "password": ...}`` or
   ``{"token": ...}`` (an OAuth bearer token);
2. the environment: ``CALCIFICATION_DICOMWEB_TOKEN``, or ``CALCIFICATION_DICOMWEB_USER`` and
   ``CALCIFICATION_DICOMWEB_PASSWORD``;
3. none: anonymous access.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import InputError

USER_VARIABLE = "CALCIFICATION_DICOMWEB_USER"
PASSWORD_VARIABLE = "CALCIFICATION_DICOMWEB_PASSWORD"
TOKEN_VARIABLE = "CALCIFICATION_DICOMWEB_TOKEN"


@dataclass(frozen=True)
class Credentials:
    """HTTP basic credentials or a bearer token (never printed: ``repr`` hides them)."""

    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)

    @property
    def anonymous(self) -> bool:
        return not (self.username or self.token)

    def apply_to(self, session) -> None:
        """Set the credentials on a ``requests.Session``."""
        if self.token:
            session.headers["Authorization"] = f"Bearer {self.token}"
        elif self.username:
            session.auth = (self.username, self.password)


def read_credentials_file(path: os.PathLike | str) -> Credentials:
    """Credentials from a JSON file (see the module docstring); InputError naming the file when it is unusable."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"The credentials file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"The credentials file {path} is not readable JSON ({type(exc).__name__}).") from None
    if not isinstance(data, dict) or not (data.get("token") or data.get("username")):
        raise InputError(
            f'The credentials file {path} must hold {{"username": ..., "password": ...}} or {{"token": ...}}.'
        )
    if not all(isinstance(data.get(key, ""), str) for key in ("username", "password", "token")):
        raise InputError(f"The credentials file {path} must hold text values.")
    return Credentials(data.get("username", ""), data.get("password", ""), data.get("token", ""))


def find_credentials(credentials_file: Optional[os.PathLike | str] = None, environ=None) -> Credentials:
    """The credentials to use: the file when given, else the environment, else anonymous."""
    if credentials_file is not None:
        return read_credentials_file(credentials_file)
    environ = os.environ if environ is None else environ
    if environ.get(TOKEN_VARIABLE):
        return Credentials(token=environ[TOKEN_VARIABLE])
    if environ.get(USER_VARIABLE):
        return Credentials(environ[USER_VARIABLE], environ.get(PASSWORD_VARIABLE, ""))
    return Credentials()
