"""Run an ASGI app under uvicorn in a subprocess on 127.0.0.1 and a free port.

Examples
--------
>>> from mltestkit.serving import serve
>>> with serve("tests.apps.service:app", health="/health") as server:  # doctest: +SKIP
...     print(server.url)
http://127.0.0.1:38017
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .._validate import flag
from ..errors import InputError, ServingError

#: How much of a server's or locust's log an error message quotes.
LOG_TAIL = 3000


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (``localhost``, 127.0.0.0/8 or ``::1``).

    >>> is_loopback("http://127.0.0.1:8000/predict"), is_loopback("https://example.com")
    (True, False)
    """
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_url(url: object, argument: str = "url") -> str:
    if (
        not isinstance(url, str)
        or urlsplit(url).scheme not in ("http", "https")
        or not urlsplit(url).hostname
    ):
        raise InputError(
            argument, f"is not an http(s) URL: {url!r}", "pass e.g. 'http://127.0.0.1:8000/predict'"
        )
    return url.rstrip("/") if urlsplit(url).path in ("", "/") else url


def validate_target(url: str, allow_remote: bool | None, argument: str = "url") -> None:
    """Refuse a target outside loopback unless ``allow_remote``.

    ``allow_remote=None`` lets the environment variable ``MLTESTKIT_ALLOW_REMOTE=1`` decide, for
    library calls outside pytest; under pytest the ``ml`` fixture and ``ml_server`` always pass
    the ini key ``ml_allow_remote`` explicitly, so there the ini key decides.

    >>> validate_target("http://127.0.0.1:8000/predict", False)
    >>> validate_target("https://example.com/predict", True)
    """
    if allow_remote is None:
        allow_remote = os.environ.get("MLTESTKIT_ALLOW_REMOTE", "").lower() in ("1", "true", "yes")
    allow_remote = flag(allow_remote, "allow_remote")
    if not allow_remote and not is_loopback(url):
        raise InputError(
            argument,
            f"{urlsplit(url).hostname} is not a loopback address (localhost, 127.0.0.0/8, ::1)",
            "pass allow_remote=True (or set the ini key ml_allow_remote = true) to test a remote service",
        )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _app_target(app: str) -> tuple[str, str | None]:
    """uvicorn's ``module:attr`` and its ``--app-dir`` for ``module:attr`` or ``path/to/file.py:attr``."""
    if not isinstance(app, str) or ":" not in app:
        raise InputError(
            "app",
            f"must be 'module:attr' or 'path/to/service.py:attr', got {app!r}",
            "name the ASGI object, e.g. 'service:app'",
        )
    location, attr = app.rsplit(":", 1)
    if not attr.isidentifier():
        raise InputError("app", f"{attr!r} is not a Python name", "name the ASGI object, e.g. 'service:app'")
    if location.endswith(".py") or os.sep in location or "/" in location:
        path = Path(location)
        if path.suffix != ".py" or not path.is_file():
            raise InputError(
                "app", f"no Python file at {str(path.resolve())!r}", "check the path to the service file"
            )
        return f"{path.stem}:{attr}", str(path.resolve().parent)
    if not all(part.isidentifier() for part in location.split(".")):
        raise InputError("app", f"{location!r} is not a module name", "pass 'package.module:attr'")
    return app, None


def _tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return text[-LOG_TAIL:]


@dataclass
class Server:
    """A running service: ``url`` is its base URL; ``process`` is ``None`` for an external one."""

    url: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    command: list[str] = field(default_factory=list)

    def log(self) -> str:
        """The end of the server's log (stdout and stderr)."""
        return _tail(self.log_path) if self.log_path else ""

    @property
    def crashed(self) -> bool:
        """Whether the server process exited on its own."""
        return self.process is not None and self.process.poll() is not None

    def exit_code(self, grace: float = 2.0) -> int | None:
        """The exit code if the server exited on its own, else ``None``.

        A server that no longer accepts connections is given ``grace`` seconds to finish exiting.
        """
        if self.process is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(0.1)
        if self.process.poll() is None and not _answers(self.url, None):
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(grace)
        return self.process.poll()

    def ensure_alive(self) -> None:
        """Raise :class:`ServingError` with the log when the server process has exited."""
        if self.crashed:
            assert self.process is not None
            raise ServingError(
                f"the server at {self.url} exited with code {self.process.returncode} while in use;"
                f" its log ends with:\n{self.log()}"
            )

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the server, then kill it if it has not exited after ``timeout`` seconds;
        remove its log file."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)


def _answers(url: str, health: str | None) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=1):
            pass
    except OSError:
        return False
    if health is None:
        return True
    try:
        with urllib.request.urlopen(url + health, timeout=2) as response:
            return bool(response.status < 400)
    except OSError:  # urllib.error.HTTPError (a status >= 400) included
        return False


def start_server(
    app: str,
    *,
    port: int | None = None,
    health: str | None = None,
    timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    workers: int = 1,
    log_level: str = "warning",
    allow_remote: bool | None = None,
) -> Server:
    """Start ``app`` under uvicorn on 127.0.0.1 and wait until it answers.

    Parameters
    ----------
    app:
        ``"package.module:app"`` (importable from ``cwd``) or ``"path/to/service.py:app"``.
        An ``http(s)://`` URL is an external service: nothing is started, it must answer.
    port:
        A fixed port; the default picks a free one.
    health:
        A path (``"/health"``) that must answer with a 2xx (or 3xx) status; by default a TCP
        connect suffices.
    timeout:
        Seconds to wait for the server; on expiry the error quotes the server's log.
    env, cwd, workers, log_level:
        Extra environment variables, working directory, uvicorn workers and log level.
    allow_remote:
        Allow an external service outside loopback (see :func:`validate_target`).

    Returns
    -------
    Server
        Call :meth:`Server.stop` when done, or use :func:`serve`.
    """
    if health is not None and (not isinstance(health, str) or not health.startswith("/")):
        raise InputError("health", f"must be a path starting with '/', got {health!r}", "pass e.g. '/health'")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise InputError("timeout", f"must be a positive number of seconds, got {timeout!r}", "pass e.g. 30")
    if isinstance(app, str) and app.startswith(("http://", "https://")):
        url = validate_url(app, "app")
        validate_target(url, allow_remote, "app")
        server = Server(url=url)
        if not _wait(server, health, timeout):
            raise ServingError(f"the external service at {url} did not answer within {timeout:g} s")
        return server
    target, app_dir = _app_target(app)
    host = "127.0.0.1"
    if port is None:
        port = free_port(host)
    elif isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InputError(
            "port", f"must be an int in 1..65535, got {port!r}", "pass port=None for a free port"
        )
    elif port_in_use(host, port):
        raise InputError("port", f"{host}:{port} is already in use", "pass port=None to pick a free port")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError("workers", f"must be a positive int, got {workers!r}", "pass e.g. workers=1")
    command = [sys.executable, "-m", "uvicorn", target, "--host", host, "--port", str(port)]
    command += ["--log-level", log_level, "--workers", str(workers)]
    if app_dir:
        command += ["--app-dir", app_dir]
    fd, log_name = tempfile.mkstemp(prefix="mltestkit-server-", suffix=".log")
    log_path = Path(log_name)
    child_env = {**os.environ, **(env or {})}
    work_dir = os.fspath(cwd) if cwd is not None else os.getcwd()
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [work_dir, child_env.get("PYTHONPATH")]))
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env, cwd=work_dir)
    server = Server(url=f"http://{host}:{port}", process=process, log_path=log_path, command=command)
    try:
        if not _wait(server, health, timeout):
            raise ServingError(
                f"the server {app!r} did not come up on {server.url} within {timeout:g} s"
                f"{' (' + health + ' never answered)' if health else ''}; its log ends with:\n{server.log()}"
            )
    except ServingError:
        server.stop()
        raise
    return server


def _wait(server: Server, health: str | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.crashed:
            assert server.process is not None
            server.process.wait()
            raise ServingError(
                f"the server exited with code {server.process.returncode} before answering;"
                f" its log ends with:\n{server.log()}"
            )
        if _answers(server.url, health):
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def serve(app: str, **options: object) -> Iterator[Server]:
    """Run :func:`start_server` for the duration of a ``with`` block and stop the server after it,
    whether the block raised or not."""
    server = start_server(app, **options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
