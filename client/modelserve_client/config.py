"""Where the command line keeps its credentials: one JSON file in the user's config dir.

``$XDG_CONFIG_HOME/modelserve/credentials.json`` (``~/.config/...`` by default; platformdirs
picks the platform's own place elsewhere), mode 0600: the server's address, the session's access
and refresh tokens (rewritten after each refresh) or an API key. ``MODELSERVE_URL``,
``MODELSERVE_TOKEN`` and ``MODELSERVE_API_KEY`` override what it holds (a token given so is not
refreshed).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from modelserve_client.errors import UnsafeConfig

try:
    import fcntl
except ImportError:  # not POSIX: refreshes are not coordinated between processes
    fcntl = None  # type: ignore[assignment]

DEFAULT_URL = "http://127.0.0.1:8000"


def config_dir() -> Path:
    try:
        from platformdirs import user_config_dir
    except ImportError:  # the cli extra brings platformdirs; XDG's rule is the fallback
        base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
        return Path(base) / "modelserve"
    return Path(user_config_dir("modelserve", appauthor=False))


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def _private_dir() -> Path:
    """The config dir, created 0700; refused unless it is the user's and no one else can write
    to it (as ssh treats ~/.ssh): whoever could would read, swap or redirect the tokens."""
    directory = config_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if hasattr(os, "geteuid"):
        info = os.stat(directory)
        if info.st_uid != os.geteuid() or info.st_mode & 0o022:
            raise UnsafeConfig(
                "UNSAFE_CONFIG",
                f"{directory} is not yours alone (owner uid {info.st_uid}, mode "
                f"{stat.S_IMODE(info.st_mode):o}); make it yours with mode 700, or set "
                "XDG_CONFIG_HOME to a private directory",
            )
    return directory


def _read_private(path: Path) -> dict[str, str | None]:
    """The stored JSON, refused if it is a symlink, not the user's, or open to others."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {}
    unsafe = stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode)
    if hasattr(os, "geteuid"):
        unsafe = unsafe or info.st_uid != os.geteuid() or bool(info.st_mode & 0o077)
    if unsafe:
        raise UnsafeConfig(
            "UNSAFE_CONFIG",
            f"{path} is not a file of yours with mode 600; remove it and log in again",
        )
    try:
        return json.loads(path.read_text())
    except ValueError:
        return {}


@dataclass(frozen=True, slots=True)
class Credentials:
    url: str = DEFAULT_URL
    token: str | None = None
    api_key: str | None = None
    username: str | None = None
    refresh_token: str | None = None


def load() -> Credentials:
    """The stored credentials, with the environment's overrides laid over them."""
    path = credentials_path()
    stored = _read_private(path) if path.parent.exists() else {}
    if stored:
        _private_dir()
    url = os.environ.get("MODELSERVE_URL") or stored.get("url") or DEFAULT_URL
    token = os.environ.get("MODELSERVE_TOKEN")
    api_key = os.environ.get("MODELSERVE_API_KEY")
    if token or api_key:
        return Credentials(url=url, token=token, api_key=api_key if not token else None)
    return Credentials(
        url=url,
        token=stored.get("token"),
        api_key=stored.get("api_key"),
        username=stored.get("username"),
        refresh_token=stored.get("refresh_token"),
    )


def save(credentials: Credentials) -> Path:
    """Write the credentials readable by their owner only (0600), replacing the file at once:
    a crash leaves the old or the new file, and a symlink planted at the path is replaced, never
    written through."""
    path = _private_dir() / credentials_path().name
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    descriptor = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(descriptor, "w") as out:
            os.fchmod(out.fileno(), 0o600)
            json.dump(asdict(credentials), out)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path


@contextlib.contextmanager
def refreshing() -> Iterator[tuple[str | None, str | None]]:
    """Hold the credentials' lock while a session is refreshed, yielding the (access, refresh)
    pair stored now: another ``modelserve`` process may have refreshed it meanwhile, and the
    server ends a session whose used refresh token comes back."""
    path = _private_dir() / credentials_path().name
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path.with_name(f"{path.name}.lock"), flags, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        now = load()
        yield now.token, now.refresh_token
    finally:
        os.close(descriptor)  # and with it the lock
