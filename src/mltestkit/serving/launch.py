"""The server process :func:`mltestkit.serving.start_server` runs: import the app, tell WSGI from
ASGI, and run it under uvicorn.

``python path/to/launch.py module:attr --host H --port P [--factory] [--interface I]``: run as a
script, it needs nothing but uvicorn, whatever ``PYTHONPATH`` the app is given, and it puts the
working directory first on ``sys.path`` (as ``python -m uvicorn`` does) instead of its own folder.
Detection looks at the object itself, so a Flask or Django app runs under ``--interface wsgi``
with no option; ``--interface asgi`` or ``wsgi`` overrides it.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from typing import Any


def interface_of(app: Any) -> str:
    """uvicorn's interface for ``app``: ``"wsgi"`` for a callable of ``(environ, start_response)``,
    else ``"auto"`` (uvicorn tells ASGI 3 from ASGI 2).

    >>> def wsgi(environ, start_response): ...
    >>> async def asgi(scope, receive, send): ...
    >>> interface_of(wsgi), interface_of(asgi)
    ('wsgi', 'auto')
    """
    if inspect.isclass(app):
        return "auto"
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else getattr(app, "__call__", None)  # noqa: B004
    if call is None or inspect.iscoroutinefunction(call):
        return "auto"
    try:
        parameters = list(inspect.signature(call).parameters.values())
    except (TypeError, ValueError):
        return "auto"
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return "wsgi" if len(positional) == 2 else "auto"


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, import the app and run uvicorn until terminated."""
    import uvicorn
    from uvicorn.importer import import_from_string

    parser = argparse.ArgumentParser(prog="launch.py")
    parser.add_argument("app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--interface", choices=("auto", "asgi", "wsgi"), default="auto")
    parser.add_argument("--factory", action="store_true")
    parser.add_argument("--app-dir", default=None)
    args = parser.parse_args(argv)
    if args.app_dir:
        sys.path.insert(0, args.app_dir)
    found = import_from_string(args.app)
    app = found() if args.factory else found
    interface: Any = {"asgi": "auto", "wsgi": "wsgi"}.get(args.interface) or interface_of(app)
    options: dict[str, Any] = {"host": args.host, "port": args.port, "log_level": args.log_level}
    if args.workers > 1:
        uvicorn.run(args.app, factory=args.factory, interface=interface, workers=args.workers,
                    app_dir=args.app_dir or ".", **options)  # fmt: skip
    else:
        uvicorn.run(app, interface=interface, **options)


if __name__ == "__main__":
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path[0] = os.getcwd()
    main()
