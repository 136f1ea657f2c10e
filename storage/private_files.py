"""Files and folders only the bot's own user can read (0600 and 0700), whatever the umask of the shell that ran it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Creates `path` and its missing parents, 0700 each; a folder that already exists is the admin's: left as it is."""
    missing: list[Path] = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # made meanwhile by someone else: theirs
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode goes through the umask, which may take bits away


def create_beside(path: Path) -> Path:
    """A new empty file, 0600, next to `path` (the same folder, so that renaming it onto `path` is atomic).

    Its name is random and created exclusively: a link planted in a shared folder is never followed.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return Path(name)


def write_private(path: Path, data: bytes) -> None:
    """`data` as `path`, 0600: written beside it and renamed, so that the file appears whole, and never readable by others.

    Renaming rather than rewriting in place: a file that was already there (another owner's, or 0644) is replaced,
    never reused with its old mode.
    """
    temporary = create_beside(path)
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def tighten(path: Path) -> None:
    """Brings a file of ours made before this rule (0644, 0640) down to 0600; another user's file is left alone."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    if status.st_mode & 0o077 and status.st_uid == os.geteuid():
        os.chmod(path, status.st_mode & 0o700)
