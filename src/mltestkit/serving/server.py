"""Run an ASGI or WSGI app under uvicorn in a subprocess on 127.0.0.1 and a free port, and read
target URLs one strict way (:func:`parse_url`) before anything connects to them.

Examples
--------
>>> from mltestkit.serving import serve
>>> with serve("tests.apps.service:app", health="/health") as server:  # doctest: +SKIP
...     print(server.url)
http://127.0.0.1:38017
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .._validate import flag
from ..errors import InputError, ServingError

#: How much of a server's or locust's log an error message quotes.
LOG_TAIL = 3000


#: Characters a target URL may hold: printable ASCII without spaces, backslashes or quotes.
_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_EXAMPLE_URL = "pass e.g. 'http://127.0.0.1:8000/predict'"


@dataclass(frozen=True)
class Target:
    """An http(s) URL as :func:`parse_url` read it: the only reading any client is given.

    ``origin`` is ``scheme://host[:port]``; ``path`` includes the query string.
    """

    scheme: str
    host: str
    port: int | None
    path: str

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + (f":{self.port}" if self.port is not None else "")

    @property
    def url(self) -> str:
        return self.origin + ("" if self.path == "/" else self.path)

    @property
    def loopback(self) -> bool:
        """Whether the host is ``localhost`` or a loopback address (127.0.0.0/8, ``::1``)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_url(url: object, argument: str = "url") -> Target:
    """Read an http(s) URL strictly, so that every HTTP client reads the same host from it.

    Refused: a non-string, a scheme other than http/https, spaces, control or non-ASCII
    characters, backslashes, user information (``user@host``), a percent sign in the host, a
    host that is neither a DNS name nor an IP address, and a bad port.

    >>> parse_url("http://127.0.0.1:8000/predict?x=1").path
    '/predict?x=1'
    >>> parse_url("http://evil.example@127.0.0.1:8000/")
    Traceback (most recent call last):
    ...
    mltestkit.errors.InputError: url: holds user information before '@': 'http://evil.example@127.0.0.1:8000/'; pass credentials in headers= instead
    """
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise InputError(argument, f"is not an http(s) URL: {url!r}", _EXAMPLE_URL)
    if "\\" in url:
        raise InputError(
            argument, f"holds a backslash, which HTTP clients read differently: {url!r}", _EXAMPLE_URL
        )
    if not _URL_CHARS.match(url):
        raise InputError(
            argument, f"holds a space, a control or a non-ASCII character: {url!r}", "percent-encode it"
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InputError(argument, f"has no valid host: {url!r}", _EXAMPLE_URL) from None
    if "@" in parts.netloc:
        raise InputError(
            argument, f"holds user information before '@': {url!r}", "pass credentials in headers= instead"
        )
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    if host.startswith("["):
        host = host[1:-1] if host.endswith("]") else host
        try:
            valid = ipaddress.ip_address(host).version == 6
        except ValueError:
            valid = False
    else:
        valid = bool(_HOST.match(host))
    if not valid:
        raise InputError(argument, f"has no valid host: {url!r}", _EXAMPLE_URL)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (port is not None and not 0 < port < 65536) or parts.netloc.endswith(":"):
        raise InputError(argument, f"has a bad port: {url!r}", _EXAMPLE_URL)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme.lower(), host.lower(), port, path)


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (``localhost``, 127.0.0.0/8 or ``::1``).

    >>> is_loopback("http://127.0.0.1:8000/predict"), is_loopback("https://example.com")
    (True, False)
    """
    try:
        return parse_url(url).loopback
    except InputError:
        return False


def validate_url(url: object, argument: str = "url", allow_remote: bool | None = False) -> str:
    """``url`` rebuilt from :func:`parse_url`'s reading, after :func:`validate_target`.

    The rebuilt URL is what clients are given, so no client can read another host from it.

    >>> validate_url("HTTP://LocalHost:8000/")
    'http://localhost:8000'
    """
    target = parse_url(url, argument)
    validate_target(target, allow_remote, argument)
    return target.url


def validate_target(url: str | Target, allow_remote: bool | None, argument: str = "url") -> None:
    """Refuse a target outside loopback unless ``allow_remote``.

    ``allow_remote=None`` lets the environment variable ``MLTESTKIT_ALLOW_REMOTE=1`` decide, for
    library calls outside pytest; under pytest the ``ml`` fixture and ``ml_server`` always pass
    the ini key ``ml_allow_remote`` explicitly, so there the ini key decides.

    >>> validate_target("http://127.0.0.1:8000/predict", False)
    >>> validate_target("https://example.com/predict", True)
    """
    target = url if isinstance(url, Target) else parse_url(url, argument)
    if allow_remote is None:
        allow_remote = os.environ.get("MLTESTKIT_ALLOW_REMOTE", "").lower() in ("1", "true", "yes")
    allow_remote = flag(allow_remote, "allow_remote")
    if not allow_remote and not target.loopback:
        raise InputError(
            argument,
            f"{target.host} is not a loopback address (localhost, 127.0.0.0/8, ::1)",
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


_APP_EXAMPLE = "name the app object, e.g. 'service:app' or a factory 'service:create_app()'"
#: What ``interface=`` accepts: ``auto`` detects WSGI from the app object in the server process.
INTERFACES = ("auto", "asgi", "wsgi")


def _app_target(app: str, cwd: str) -> tuple[str, str | None, bool]:
    """uvicorn's ``module:attr``, its ``--app-dir`` and whether ``attr`` is a factory, for
    ``module:attr``, ``path/to/file.py:attr`` (relative to ``cwd``) or either with ``attr()``."""
    if not isinstance(app, str) or ":" not in app:
        raise InputError(
            "app", f"must be 'module:attr' or 'path/to/service.py:attr', got {app!r}", _APP_EXAMPLE
        )
    location, attr = app.rsplit(":", 1)
    factory = attr.endswith("()")
    attr = attr.removesuffix("()")
    if not attr.isidentifier():
        raise InputError("app", f"{attr!r} is not a Python name", _APP_EXAMPLE)
    if location.endswith(".py") or os.sep in location or "/" in location:
        path = Path(cwd, location)
        if path.suffix != ".py" or not path.is_file():
            raise InputError(
                "app", f"no Python file at {str(path.resolve())!r}", "check the path to the service file"
            )
        return f"{path.stem}:{attr}", str(path.resolve().parent), factory
    if not all(part.isidentifier() for part in location.split(".")):
        raise InputError("app", f"{location!r} is not a module name", "pass 'package.module:attr'")
    return f"{location}:{attr}", None, factory


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
    """Whether the server accepts a connection (and answers ``health`` below 400; never followed)."""
    target = parse_url(url)
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        with socket.create_connection((target.host, port), timeout=1):
            pass
    except OSError:
        return False
    if health is None:
        return True
    kind = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = kind(target.host, port, timeout=2)
    try:
        connection.request("GET", health)
        return connection.getresponse().status < 400
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def start_server(
    app: str,
    *,
    port: int | None = None,
    health: str | None = None,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    workers: int = 1,
    log_level: str = "warning",
    allow_remote: bool | None = None,
    interface: str = "auto",
) -> Server:
    """Start ``app`` under uvicorn on 127.0.0.1 and wait until it answers.

    Parameters
    ----------
    app:
        ``"package.module:app"`` (importable from ``cwd``) or ``"path/to/service.py:app"``
        (relative to ``cwd``); ``"service:create_app()"`` calls an application factory. An
        ``http(s)://`` URL is an external service: nothing is started, it must answer (it is
        read by :func:`parse_url` and refused outside loopback unless ``allow_remote``).
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
    interface:
        ``"auto"`` (the default) runs a WSGI app (Flask, Django: an object called with
        ``(environ, start_response)``) under ``uvicorn --interface wsgi`` and anything else as
        ASGI; ``"wsgi"`` or ``"asgi"`` says which.

    Returns
    -------
    Server
        Call :meth:`Server.stop` when done, or use :func:`serve`.
    """
    if health is not None and (not isinstance(health, str) or not health.startswith("/")):
        raise InputError("health", f"must be a path starting with '/', got {health!r}", "pass e.g. '/health'")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise InputError("timeout", f"must be a positive number of seconds, got {timeout!r}", "pass e.g. 60")
    if interface not in INTERFACES:
        raise InputError(
            "interface", f"must be one of {INTERFACES}, got {interface!r}", "pass interface='wsgi'"
        )
    if isinstance(app, str) and "://" in app:
        url = validate_url(app, "app", allow_remote)
        server = Server(url=url)
        if not _wait(server, health, timeout):
            raise ServingError(f"the external service at {url} did not answer within {timeout:g} s")
        return server
    work_dir = os.fspath(cwd) if cwd is not None else os.getcwd()
    target, app_dir, factory = _app_target(app, work_dir)
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
    launcher = str(Path(__file__).with_name("launch.py"))
    command = [sys.executable, launcher, target, "--host", host, "--port", str(port)]
    command += ["--log-level", log_level, "--workers", str(workers), "--interface", interface]
    if factory:
        command.append("--factory")
    if app_dir:
        command += ["--app-dir", app_dir]
    fd, log_name = tempfile.mkstemp(prefix="mltestkit-server-", suffix=".log")
    log_path = Path(log_name)
    child_env = {**os.environ, **(env or {})}
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
