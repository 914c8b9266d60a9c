"""Write outputs atomically, and replace only what diagnose itself wrote.

Every folder diagnose writes holds a ``manifest.json`` listing each file it
wrote with its sha256. ``force`` replaces an existing folder only when that
manifest is there, nothing else is in the folder and every listed file is
unchanged, so no file of the user's is ever removed. Files are written to a
hidden temporary sibling that is renamed into place when complete and removed
when anything (an error, Ctrl-C, SIGTERM) stops the writing. What is written
follows the umask, like any file the user creates.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from diagnose.errors import OutputExistsError, format_examples

__all__ = ["MANIFEST", "check_target", "write_file", "write_folder", "write_manifest"]

MANIFEST = "manifest.json"


def check_target(target: Path, *, force: bool) -> None:
    """Raise unless ``target`` can be written as a new or replaceable folder.

    Called before any work starts, so a wrong ``--out`` costs no waiting.

    Examples
    --------
    >>> import tempfile
    >>> check_target(Path(tempfile.mkdtemp()) / "new", force=False)
    """
    _check_parent(target)
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise OutputExistsError(f"{target}: exists and is a file; expected a new folder name for the output. Choose another --out.")
    if not force:
        raise OutputExistsError(
            f"{target}: output folder already exists; expected a new folder. Choose another --out, or pass "
            "--force (force=True) to replace a previous diagnose output that holds nothing else."
        )
    _check_replaceable(target)


def _check_parent(target: Path) -> None:
    """The nearest existing ancestor of ``target`` must be a folder we may write in."""
    ancestor = target.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise NotADirectoryError(
            f"{target}: cannot be created because {ancestor} is a file, not a folder; expected a path "
            "inside an existing folder. Choose another --out."
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise PermissionError(
            f"{target}: cannot be written, no permission to create files in {ancestor}. Choose an --out "
            "in a folder you can write to, or fix that folder's permissions."
        )


def _check_replaceable(target: Path) -> None:
    found = _entries(target)
    listed = _read_manifest(target)
    if listed is None:
        if not found:
            return  # an empty folder: nothing to lose
        raise OutputExistsError(
            f"{target}: has no readable {MANIFEST}, so it was not written by this version of diagnose and "
            f"--force will not replace it (--force removes only a diagnose output holding nothing else). "
            f"Found {format_examples(found)}. Choose another --out; if it is an older diagnose output, "
            "delete it yourself."
        )
    foreign = [name for name in found if name != MANIFEST and name not in listed]
    changed = [name for name in found if name in listed and _sha256(target / name) != listed[name]]
    if foreign or changed:
        raise OutputExistsError(
            f"{target}: --force would remove files that diagnose did not write or that changed since: "
            f"{format_examples(sorted(foreign + changed))}; expected only the unchanged files listed in its "
            f"{MANIFEST}. Move those files out of {target}, or choose another --out."
        )


def _entries(folder: Path) -> list[str]:
    """Every file and link under ``folder``, as sorted relative POSIX paths."""
    names = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath).relative_to(folder)
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        names += [(here / name).as_posix() for name in filenames + links]
    return sorted(names)


def _read_manifest(folder: Path) -> dict[str, str] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("written_by") == "diagnose" else None
    return files if isinstance(files, dict) else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path) -> None:
    """List every file under ``folder`` with its sha256 in ``folder/manifest.json``."""
    files = {name: _sha256(folder / name) for name in _entries(folder) if name != MANIFEST}
    text = json.dumps({"written_by": "diagnose", "files": files}, indent=2, sort_keys=True)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")


def write_folder(target: Path, fill: Callable[[Path], None], *, force: bool) -> Path:
    """Have ``fill`` write into a temporary folder, then move it to ``target``.

    ``target`` appears complete or not at all; a replaced folder is removed
    only after the new one is in place.
    """
    check_target(target, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        try:
            fill(tmp)
            write_manifest(tmp)
        except OSError as exc:  # name the user's path, not the hidden temporary one
            raise type(exc)(f"{target}: could not be written ({exc.strerror or exc}); nothing was written. "
                            "Free some disk space or choose another --out.") from exc
        _follow_umask(tmp)
        check_target(target, force=force)  # the folder may have changed while the analysis ran
        with _signals_held():
            _swap(tmp, target)
    finally:
        with _signals_held():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _swap(tmp: Path, target: Path) -> None:
    if not os.path.lexists(target):
        tmp.rename(target)
        return
    old = tmp.with_name(f"{tmp.name}-old")
    target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_file(target: Path, text: str, *, force: bool) -> Path:
    """Write ``text`` to ``target`` atomically; an existing file is replaced only with ``force``."""
    _check_parent(target)
    if target.is_dir():
        raise OutputExistsError(f"{target}: is a folder; expected a file name for the report. Pass --out {target / 'report.html'}.")
    if target.exists() and not force:
        raise OutputExistsError(f"{target}: file already exists; expected a new file. Pass --force to replace it, or choose another --out.")
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(target, lambda stream: stream.write(text.encode("utf-8")))
    return target


def replace_atomically(target: Path, fill: Callable[[Any], Any]) -> None:
    """Write ``target`` through ``fill(binary stream)`` into a temporary file beside it, then rename it into
    place: readers see the old file or the new one, never a torn one. The mode follows the umask; only
    the temporary file this call made is ever removed."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            fill(stream)
        os.chmod(tmp, 0o666 & ~_umask())
        with _signals_held():
            tmp.replace(target)
    finally:
        with _signals_held():
            tmp.unlink(missing_ok=True)


def _follow_umask(folder: Path) -> None:
    """``mkdtemp`` makes a private folder (0700): give everything the modes the umask allows."""
    mask = _umask()
    for dirpath, _dirnames, filenames in os.walk(folder):
        os.chmod(dirpath, 0o777 & ~mask)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o666 & ~mask)


def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it and put it back
    os.umask(mask)
    return mask


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM for a few renames, so they are never left half done."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
