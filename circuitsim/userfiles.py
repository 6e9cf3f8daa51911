"""Objects from users' own Python files and modules: ``"path/to/file.py:NAME"`` or ``"package.module:NAME"``.

This is how a user's experiment, learning rule or device reaches circuitsim
without editing the package.  **A Python file named this way is code and is
executed** (as ``import`` would), so name only files you trust.

A file is imported under a private module name derived from its resolved
path and content (``circuitsim_user_<hash>``), once per content and process
(an edited file runs again), and is not left on
``sys.path``; its own folder is put on ``sys.path`` only while it is
executed, so that it can import its neighbours.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Optional, Union

__all__ = ["UserCodeError", "is_reference", "load_module", "load_object", "read_text_file", "split_reference",
           "user_code_failure"]


class UserCodeError(ValueError):
    """A user's file or module could not be loaded, or does not hold what was named."""


def split_reference(reference: str) -> "tuple[str, Optional[str]]":
    """``"a/b.py:NAME"`` -> ``("a/b.py", "NAME")``; ``"a/b.py"`` -> ``("a/b.py", None)``.

    The split is at the last ``:`` that is not a Windows drive colon.
    """
    text = str(reference).strip()
    cut = text.rfind(":")
    if cut <= 1 or cut == len(text) - 1:           # "C:\x.py" or "x.py:" or no colon
        return (text.rstrip(":"), None)
    return text[:cut], text[cut + 1:]


def is_reference(text: str) -> bool:
    """Whether ``text`` names a user file (``*.py``, with or without ``:NAME``) or ``module:NAME``."""
    where, name = split_reference(text)
    return where.endswith(".py") or name is not None


def _module_name(path: Path) -> str:
    """A private module name from the file's path and content: an edited file is executed afresh."""
    digest = hashlib.sha256(str(path).encode() + b"\0" + path.read_bytes())
    return "circuitsim_user_" + digest.hexdigest()[:16]


def load_module(where: Union[str, Path], base_dir: Optional[Union[str, Path]] = None) -> ModuleType:
    """Import a user's ``.py`` file (relative to ``base_dir``, default: the working folder) or a module name.

    Raises
    ------
    UserCodeError
        The file does not exist, cannot be read, or raises while it runs (the
        message gives the file, the line and the exception), or the module is
        not importable.
    """
    text = str(where)
    if not text.endswith(".py"):
        try:
            return importlib.import_module(text)
        except ImportError as exc:
            raise UserCodeError(f"cannot import module {text!r}: {exc}. Give a module on the Python path, "
                                "or a file as path/to/file.py") from None
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = Path(base_dir or ".") / path
    path = path.resolve()
    if not path.is_file():
        raise UserCodeError(f"{path} does not exist (named as {text!r})")
    name = _module_name(path)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserCodeError(f"{path} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise UserCodeError(f"{path}, line {exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        del sys.modules[name]
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
        line = f", line {frames[-1].lineno}" if frames else ""
        raise UserCodeError(f"{path}{line}: {type(exc).__name__} while loading the file: {exc}") from None
    finally:
        if added and folder in sys.path:
            sys.path.remove(folder)
    return module


def load_object(reference: str, base_dir: Optional[Union[str, Path]] = None, what: str = "object") -> Any:
    """The object a ``"file.py:NAME"`` or ``"package.module:NAME"`` reference names.

    ``what`` says what is expected (used in messages, e.g. ``"experiment class"``).
    """
    where, name = split_reference(reference)
    if name is None:
        raise UserCodeError(f"{reference!r}: name the {what} as 'path/to/file.py:NAME' or 'package.module:NAME'")
    module = load_module(where, base_dir)
    try:
        obj: Any = module
        for part in name.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        public = sorted(k for k in vars(module) if not k.startswith("_"))
        raise UserCodeError(f"{where} defines no {name!r} (the {what} named by {reference!r}); it defines: "
                            f"{', '.join(public) or 'nothing public'}") from None
    return obj


def user_code_failure(exc: BaseException, what: str) -> UserCodeError:
    """A :class:`UserCodeError` for an exception raised inside a user's code: ``what`` failed, where, and why.

    The innermost frame outside circuitsim is named (file and line), so the user sees their own line,
    not a traceback.
    """
    package = str(Path(__file__).resolve().parent)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not str(Path(f.filename).resolve()).startswith(package)]
    where = f" at {frames[-1].filename}, line {frames[-1].lineno}" if frames else ""
    return UserCodeError(f"{what} raised {type(exc).__name__}{where}: {exc}")


def read_text_file(path: Path, what: str, max_bytes: float = 50e6, error: type = ValueError) -> str:
    """A user's small UTF-8 text file (a spec, an experiment file, a template), or ``error`` naming it.

    Refused: a missing file, a folder, a FIFO or device (reading one could block for ever), more than
    ``max_bytes``, bytes that are not UTF-8 (the message gives the byte and its line).
    """
    import stat

    try:
        info = path.stat()
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{what} {path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{what} {path} is not a regular file (a FIFO or device could block for ever)")
    if info.st_size > max_bytes:
        raise error(f"{what} {path} is {info.st_size / 1e6:.3g} MB; it should be text of at most "
                    f"{max_bytes / 1e6:g} MB")
    blob = path.read_bytes()
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = blob.count(b"\n", 0, exc.start) + 1
        raise error(f"{what} {path} is not UTF-8 text: byte 0x{blob[exc.start]:02x} on line {line} (a "
                    f"Latin-1 or Windows character?); save the file as UTF-8") from None
