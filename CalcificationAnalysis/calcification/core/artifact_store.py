"""Where trained artifacts (segmentation models, benign/malignant classifiers) are found: one store for both.

An artifact is a folder holding a card file (``model_card.json``, ``classifier_card.json``) and the files the card
lists. Folders are looked for, in order, in the package's own folder (what ships with the product: origin
``"shipped"``) and then the user's folder (``$CALCIFICATION_<KIND>S_DIR``, else ``~/.calcification/<kind>s``: origin
``"user"``). A name both folders hold resolves to the user's, with a warning naming both.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from .errors import InputError

_LOG = logging.getLogger(__name__)

#: Origins of a found artifact, in lookup order.
SHIPPED, USER = "shipped", "user"


@dataclass(frozen=True)
class ArtifactEntry:
    """An artifact found by :meth:`ArtifactStore.entries`: name (from its card), folder, card, origin."""

    name: str
    folder: Path
    card: Any
    origin: str


@dataclass(frozen=True)
class ArtifactStore:
    """The lookup rules of one kind of artifact.

    Attributes
    ----------
    kind : str
        ``"model"`` or ``"classifier"``: used in messages.
    shipped_dir : Path
        The package's own folder of this kind.
    user_env : str
        Environment variable that overrides the user's folder.
    user_default : Path
        The user's folder when the variable is unset.
    card_file : str
        Name of the card file that makes a folder an artifact.
    read_card : callable
        ``read_card(folder) -> card``; InputError when the card is missing or invalid.
    list_command : str
        The command that lists this kind (for messages).
    """

    kind: str
    shipped_dir: Path
    user_env: str
    user_default: Path
    card_file: str
    read_card: Callable[[Path], Any]
    list_command: str

    def user_dir(self) -> Path:
        """The user's folder of this kind (it may not exist)."""
        configured = os.environ.get(self.user_env)
        return Path(configured).expanduser() if configured else self.user_default

    def search_dirs(self) -> tuple[Path, Path]:
        """(shipped folder, user folder), in lookup order."""
        return self.shipped_dir, self.user_dir()

    def entries(self, search_dirs: Optional[Iterable[Union[str, Path]]] = None) -> list[ArtifactEntry]:
        """Artifacts (sub-folders with a readable card) in ``search_dirs``, shipped first; the files the card lists
        are not verified here. A folder with an unreadable card is skipped with a logged warning, so one broken
        artifact does not hide the rest."""
        dirs = list(search_dirs) if search_dirs is not None else list(self.search_dirs())
        shipped = self.shipped_dir.resolve()
        found = []
        for directory in dirs:
            directory = Path(directory).expanduser()
            if not directory.is_dir():
                continue
            origin = SHIPPED if directory.resolve() == shipped else USER
            for child in sorted(p for p in directory.iterdir() if (p / self.card_file).is_file()):
                try:
                    card = self.read_card(child)
                except InputError as exc:
                    _LOG.warning("Skipping %s folder %s: %s", self.kind, child, exc)
                    continue
                found.append(ArtifactEntry(card.name, child, card, origin))
        return found

    def resolve_folder(self, source: Union[str, Path], search_dirs: Optional[Iterable[Path]] = None) -> Path:
        """Folder of an artifact given as a folder path, a path to its card, or a name found by :meth:`entries`.

        Raises
        ------
        InputError
            A blank name, a folder without a card, or a name no artifact has (the message lists the available ones).
        """
        if not str(source).strip():
            raise InputError(f"No {self.kind} was given; name one (see `{self.list_command}`) or give its folder.")
        path = Path(source).expanduser()
        if path.name == self.card_file and path.is_file():
            return path.parent
        if (path / self.card_file).is_file():
            return path
        entries = self.entries(search_dirs)
        matches = [entry for entry in entries if str(source) in (entry.name, entry.folder.name)]
        if matches:
            return self._preferring_user(matches, str(source)).folder
        available = ", ".join(e.name for e in entries) or "none installed"
        if path.is_dir():
            raise InputError(
                f"{path} has no {self.card_file}, so it is not a {self.kind} folder. Available {self.kind}s: "
                f"{available}."
            )
        raise InputError(f"No {self.kind} named or located at {str(source)!r}. Available {self.kind}s: {available}.")

    def _preferring_user(self, matches: list[ArtifactEntry], name: str) -> ArtifactEntry:
        user = [entry for entry in matches if entry.origin == USER]
        shipped = [entry for entry in matches if entry.origin == SHIPPED]
        if user and shipped:
            warnings.warn(
                f"Two {self.kind}s are named {name!r}: the user's in {user[0].folder} and a shipped one in "
                f"{shipped[0].folder}; using the user's. Rename one of them to choose the other.",
                UserWarning,
                stacklevel=4,
            )
            return user[0]
        return matches[0]
