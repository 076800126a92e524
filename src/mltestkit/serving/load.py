"""Load tests with locust in a subprocess, gated on latency quantiles, throughput and failures.

``python -m locust --headless`` runs in a child process (never ``import locust`` here: it
monkey-patches the interpreter with gevent) with the bundled :mod:`locustfile
<mltestkit.serving.locustfile>`, which sends the given JSON payloads round-robin, or with the
user's own locustfile. Its JSON output (a latency histogram per endpoint) and the failure
messages are read back; latency quantiles get order-statistic intervals, requests per second a
Poisson interval and the failure ratio an exact (Clopper-Pearson) interval.

Examples
--------
>>> from mltestkit import load_test
>>> r = load_test("http://127.0.0.1:8000/predict", payloads=[{"x": 1.0}],   # doctest: +SKIP
...               users=20, duration="5s", max={"p95_ms": 100, "fail_ratio": 0.0},
...               min={"requests_per_s": 200})
>>> r.outcome.value                                                          # doctest: +SKIP
'passed'
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from .._validate import blame_legacy, count, key_path, mapping, number, sequence, text
from ..errors import InputError, MissingDependencyError
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.intervals import clopper_pearson
from ..stats.requirement import (
    Estimate,
    Requirement,
    judge,
    requirements_by_figure,
    rows_to_decide_all,
    validate_level,
    validate_rule,
)
from .latency import QUANTILES, latency_requirements, quantile_figures, quantile_metrics
from .server import LOG_TAIL, ServingError, parse_url, validate_target

#: Limits a load test stays within unless raised explicitly with ``max_duration`` / ``max_users``.
MAX_DURATION_S = 60.0
MAX_USERS = 200
MAX_REQUESTS = 1_000_000
#: Responses kept per locust process for the agreement check, and mismatches kept as counterexamples.
RECORD_LIMIT = 20_000
MAX_COUNTEREXAMPLES = 20
CPU_WARNING = (
    "locust's CPU was above 90% during the run, so its latencies include its own queueing;"
    " use fewer users, processes=N, or a load generator on another machine"
)
#: The figures of :func:`load_test`, the keys of its ``min=`` / ``max=`` dicts.
FIGURES = (*QUANTILES, "requests_per_s", "fail_ratio", "agreement")
#: Deprecated spellings of the requirements: old argument -> (side, figure).
LEGACY = {
    **{q: ("max", q) for q in QUANTILES},
    "min_rps": ("min", "requests_per_s"),
    "max_fail_ratio": ("max", "fail_ratio"),
    "min_agreement": ("min", "agreement"),
}
_AGGREGATE = re.compile(r"^\s+Aggregated\s+(\d+)\s+(\d+)")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(value: Any, argument: str = "duration") -> float:
    """Seconds in ``value``: a number of seconds or a string like ``"5s"``, ``"2m"``, ``"1m30s"``.

    >>> parse_duration("1m30s"), parse_duration(2.5)
    (90.0, 2.5)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(value.strip()) if isinstance(value, str) and value.strip() else None
        if match is None:
            raise InputError(argument, f"cannot read {value!r} as a duration", "pass e.g. '5s', '2m' or 10")
        h, m, s = match.groups()
        seconds = int(h or 0) * 3600 + int(m or 0) * 60 + float(s or 0)
    if not math.isfinite(seconds) or seconds <= 0:
        raise InputError(argument, f"must be a positive duration, got {value!r}", "pass e.g. '5s'")
    return seconds


def _count(value: Any, argument: str, cap: float, raise_with: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(argument, f"must be a positive int, got {value!r}", f"pass e.g. {argument}=10")
    if value > cap:
        raise InputError(argument, f"{value} exceeds the limit of {cap:g}", f"lower it or raise {raise_with}")
    return int(value)


def _progress_printer(duration: float) -> Callable[[float, int, int], None]:
    def show(elapsed: float, requests: int, failures: int) -> None:
        print(
            f"load test: {min(elapsed, duration):.0f}/{duration:.0f} s, {requests} requests, {failures} failures",
            file=sys.stderr,
            flush=True,
        )

    return show


def load_test(
    url: str,
    *,
    payloads: Sequence[Any] | None = None,
    method: str | None = None,
    headers: dict[str, str] | None = None,
    locustfile: str | os.PathLike[str] | None = None,
    users: int = 10,
    spawn_rate: float | None = None,
    duration: str | float = "5s",
    max_requests: int | None = None,
    processes: int | None = None,
    min: dict[str, float] | None = None,
    max: dict[str, float] | None = None,
    expected: Sequence[Any] | None = None,
    key: str | Callable[[Any], Any] | None = None,
    allow_remote: bool | None = None,
    max_duration: float = MAX_DURATION_S,
    max_users: int = MAX_USERS,
    progress: bool | Callable[[float, int, int], None] = True,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Load-test an HTTP endpoint with locust and judge latency, requests/s, failures and agreement.

    Parameters
    ----------
    url:
        The endpoint, e.g. ``"http://127.0.0.1:8000/predict"``. With ``locustfile`` only its
        scheme and host are used (locust's ``--host``).
    payloads:
        JSON bodies sent round-robin. Without them requests have no body.
    method:
        HTTP method; ``POST`` with payloads, else ``GET``.
    headers:
        Extra request headers.
    locustfile:
        Your own locustfile instead of the bundled one (``payloads``, ``method``, ``headers``,
        ``max_requests`` and ``expected`` then do not apply).
    users, spawn_rate:
        Concurrent simulated users and users started per second (default: all at once).
    duration:
        Run time, ``"5s"``, ``"2m"`` or seconds (rounded up to whole seconds, locust's
        resolution); at most ``max_duration`` (60 s by default).
    max_requests:
        Stop after this many requests (bundled locustfile only), at most 1,000,000.
    processes:
        Locust worker processes (``--processes``) for more load than one process makes.
    min, max:
        Requirements keyed by figure: ``max`` on ``p50_ms``, ``p95_ms``, ``p99_ms`` (latency over
        all requests, milliseconds) and ``fail_ratio`` (share of requests that failed: HTTP >= 400
        or no answer), ``min`` on ``requests_per_s`` and ``agreement``, e.g.
        ``max={"p95_ms": 50, "fail_ratio": 0.01}, min={"requests_per_s": 100}``. A share
        required at its edge (``fail_ratio`` 0, ``agreement`` 1) is judged by its observed value.
    expected, key:
        Accuracy under load: ``expected[i]`` is the offline model's answer to ``payloads[i]``;
        responses recorded during the run are compared with it (see :func:`check_agreement`).
    allow_remote:
        Allow a target outside loopback; by default refused (see also ``MLTESTKIT_ALLOW_REMOTE``).
    max_duration, max_users:
        The caps; raise them explicitly for longer or larger runs.
    progress:
        ``True`` prints ``elapsed / duration, requests so far`` to stderr every 2 s; a callable
        ``f(elapsed_s, requests, failures)`` receives the figures instead; ``False`` is silent.
    rule, confidence:
        Gate rule and interval level.
    seed:
        Accepted for a uniform API; nothing is drawn at random.
    name:
        Name of the check (default: the URL's path).
    **legacy:
        ``p50_ms=``, ``p95_ms=``, ``p99_ms=``, ``max_fail_ratio=`` (now ``max={...}``), ``min_rps=``
        and ``min_agreement=`` (now ``min={...}``) still work for this release with a
        ``DeprecationWarning``.

    Returns
    -------
    CheckResult
        Kind ``load``. Aggregate ``p50_ms``, ``p95_ms``, ``p99_ms``, ``requests_per_s``,
        ``fail_ratio`` (and ``agreement``) judged; per-endpoint figures, failure messages, the
        locust command and the run time in ``details``.

    Examples
    --------
    >>> from mltestkit import serve                                             # doctest: +SKIP
    >>> with serve(model) as server:                                            # doctest: +SKIP
    ...     r = load_test(server.url + "/predict", payloads=[{"x": 1.0}], duration="3s",
    ...                   max={"p95_ms": 50, "fail_ratio": 0.01}, min={"requests_per_s": 100})
    """
    target = parse_url(url)
    validate_target(target, allow_remote)
    rule = validate_rule(rule)
    level = validate_level(confidence)
    max_users = count(max_users, "max_users", high=100_000, example=200)
    method, payloads = text(method, "method", optional=True), sequence(payloads, "payloads", optional=True)
    expected, key = sequence(expected, "expected", optional=True), key_path(key)
    headers = mapping(headers, "headers")
    if not (isinstance(progress, bool) or callable(progress)):
        raise InputError(
            "progress", f"must be True, False or a function, got {progress!r:.60}", "pass progress=False"
        )
    if locustfile is not None and not isinstance(locustfile, (str, os.PathLike)):
        raise InputError(
            "locustfile", f"must be a path, got {type(locustfile).__name__}", "pass e.g. 'locustfile.py'"
        )
    if not isinstance(max_duration, (int, float)) or isinstance(max_duration, bool) or max_duration <= 0:
        raise InputError("max_duration", f"must be a positive number, got {max_duration!r}", "pass e.g. 120")
    seconds = float(math.ceil(parse_duration(duration)))  # locust's run time is in whole seconds
    if seconds > max_duration:
        raise InputError(
            "duration",
            f"{seconds:g} s exceeds the limit of {max_duration:g} s",
            "shorten it or raise max_duration",
        )
    users = _count(users, "users", max_users, "max_users")
    if spawn_rate is None:
        spawn_rate = users
    elif isinstance(spawn_rate, bool) or not isinstance(spawn_rate, (int, float)) or spawn_rate <= 0:
        raise InputError(
            "spawn_rate", f"must be a positive number, got {spawn_rate!r}", "pass e.g. spawn_rate=10"
        )
    if max_requests is not None:
        max_requests = _count(max_requests, "max_requests", MAX_REQUESTS, "nothing: it is a hard limit")
    if processes is not None:
        processes = _count(processes, "processes", os.cpu_count() or 1, "nothing: it is the number of CPUs")
    requirements = latency_requirements(
        "load_test",
        FIGURES,
        min,
        max,
        legacy,
        LEGACY,
        rule=rule,
        confidence=level,
        positive=(*QUANTILES, "requests_per_s"),
    )
    with blame_legacy(legacy, LEGACY):
        for share in ("fail_ratio", "agreement"):
            _share(requirements[share], "max" if share == "fail_ratio" else "min", share)
    if payloads is not None and (isinstance(payloads, (str, bytes, dict)) or len(payloads) == 0):
        raise InputError("payloads", "must be a non-empty list of JSON bodies", "pass e.g. [{'x': 1.0}]")
    if expected is not None and payloads is None:
        raise InputError(
            "expected", "needs payloads to compare with", "pass payloads and expected of the same length"
        )
    if expected is not None and payloads is not None and len(expected) != len(payloads):
        raise InputError(
            "expected",
            f"has {len(expected)} entries but payloads has {len(payloads)}",
            "pass one answer per payload",
        )
    host, path = target.origin, target.path
    if locustfile is not None:
        if not Path(locustfile).is_file():
            raise InputError(
                "locustfile", f"no file at {str(Path(locustfile).resolve())!r}", "check the path"
            )
        own = {"payloads": payloads, "max_requests": max_requests, "expected": expected, "method": method}
        clash = [k for k, v in own.items() if v is not None]
        if clash:
            raise InputError(
                ", ".join(clash),
                "only apply to the bundled locustfile",
                "set them in your own locustfile instead",
            )
    if importlib.util.find_spec("locust") is None:
        raise MissingDependencyError("locust", "load", "load_test")
    method = (method or ("POST" if payloads is not None else "GET")).upper()

    with tempfile.TemporaryDirectory(prefix="mltestkit-load-") as work:
        out = Path(work)
        env = dict(os.environ)
        if locustfile is None:
            config = {
                "path": path,
                "method": method,
                "headers": headers or {},
                "payloads": list(payloads) if payloads is not None else [],
                "max_requests": max_requests,
                "record": str(out) if expected is not None else None,
                "record_limit": RECORD_LIMIT,
            }
            try:
                (out / "config.json").write_text(json.dumps(config), encoding="utf-8")
            except TypeError as exc:
                raise InputError(
                    "payloads", f"are not JSON-serializable ({exc})", "pass dicts, lists, str and numbers"
                ) from None
            env["MLTESTKIT_LOAD_CONFIG"] = str(out / "config.json")
            file = str(Path(__file__).with_name("locustfile.py"))
        else:
            file = os.fspath(Path(locustfile).resolve())
        file += "," + str(Path(__file__).with_name("locust_errors.py"))
        env["MLTESTKIT_LOAD_ERRORS"] = str(out / "errors.json")
        command = [
            sys.executable, "-m", "locust", "-f", file, "--headless", "--host", host,
            "-u", str(users), "-r", f"{spawn_rate:g}", "-t", f"{seconds:g}s",
            "--json-file", str(out / "stats"), "--csv", str(out / "locust"),
            "--exit-code-on-error", "0", "--stop-timeout", "1",
        ]  # fmt: skip
        if processes is not None:
            command += ["--processes", str(processes)]
        show = progress if callable(progress) else (_progress_printer(seconds) if progress else None)
        started = time.perf_counter()
        code, log = _run_locust(command, env, seconds, show)
        wall = time.perf_counter() - started
        stats_path = out / "stats.json"
        if not stats_path.is_file() or not stats_path.read_text().strip():
            raise ServingError(
                f"locust produced no output (exit code {code}); its log ends with:\n{log[-LOG_TAIL:]}"
            )
        entries = json.loads(stats_path.read_text())
        failures = _read_failures(out / "errors.json")
        history = _read_history(out / "locust_stats_history.csv")
        responses = _read_responses(out) if expected is not None else []
    if not entries:
        raise ServingError(f"locust sent no requests to {host}; its log ends with:\n{log[-LOG_TAIL:]}")
    if show is not None:
        show(wall, sum(e["num_requests"] for e in entries), sum(e["num_failures"] for e in entries))

    result = _result(entries, failures, requirements, rule=rule, level=level, name=name or path)
    details = {**result.details, "command": _shown(command), "wall_s": round(wall, 3), "duration_s": seconds}
    details["history"] = history
    if code not in (0, None):
        details["exit_code"] = code
    if "CPU usage above" in log:
        details["unreliable"] = CPU_WARNING
    metrics, outcome, message = result.metrics, result.outcome, result.message
    if "unreliable" in details:
        message = "; ".join(filter(None, [f"unreliable: {CPU_WARNING}", message]))
    if expected is not None:
        agreement = check_agreement(
            [r[2] for r in responses], [expected[r[0]] for r in responses], key=key,
            min=requirements["agreement"].min, max=requirements["agreement"].max,
            inputs=[payloads[r[0]] for r in responses] if payloads is not None else None, rule=rule,
            confidence=level, statuses=[r[1] for r in responses],
        )  # fmt: skip
        metrics = [*metrics, *agreement.metrics]
        outcome = worst([outcome, agreement.outcome])
        message = "; ".join(filter(None, [message, agreement.message]))
        details["mismatches"] = agreement.details.get("mismatches", [])
    return CheckResult(result.name, "load", outcome, metrics, rule, message, details)


def _share(requirement: Requirement, side: str, figure: str) -> None:
    for bound, value in (("min", requirement.min), ("max", requirement.max)):
        if value is not None and not 0 <= value <= 1:
            raise InputError(
                bound,
                f"{figure} is a share in [0, 1], got {value!r}",
                f"pass e.g. {side}={{{figure!r}: 0.01}}",
            )


def _shown(command: list[str]) -> str:
    shown = ["python" if c == sys.executable else c for c in command]
    return " ".join(shown)


def _run_locust(
    command: list[str], env: dict[str, str], seconds: float, show: Callable[[float, int, int], None] | None
) -> tuple[int | None, str]:
    """Run locust; report progress every second (request counts from its periodic stats table);
    kill it if it overruns the duration by a minute."""
    started = time.monotonic()
    lines: list[str] = []
    counts = [0, 0]

    def read(stream: Any) -> None:
        for line in stream:
            lines.append(line)
            match = _AGGREGATE.match(line)
            if match:
                counts[:] = [int(match.group(1)), int(match.group(2))]

    code: int | None = None
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, errors="replace"
    ) as process:
        reader = threading.Thread(target=read, args=(process.stdout,), daemon=True)
        reader.start()
        deadline = started + seconds + 60
        while code is None and time.monotonic() < deadline:
            try:
                code = process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                if show is not None:
                    show(time.monotonic() - started, *counts)
        if code is None:
            process.kill()
            process.wait()
            lines.append(f"\n[mltestkit] locust overran {seconds:g} s by 60 s and was killed\n")
        reader.join(timeout=5)
    return code, "".join(lines)


def _read_failures(path: Path) -> list[dict[str, Any]]:
    """The most frequent failure messages, as :mod:`locust_errors <mltestkit.serving.locust_errors>` wrote them."""
    if not path.is_file():
        return []
    rows = json.loads(path.read_text(encoding="utf-8"))
    return sorted(rows, key=lambda r: -int(r["occurrences"]))[:MAX_COUNTEREXAMPLES]


def _read_history(path: Path, limit: int = 120) -> dict[str, list[float | None]]:
    """Locust's aggregated stats history (a row a second): seconds since the first row, users,
    requests/s over each interval (from the running request count) and the p95 so far (ms)."""
    import csv

    out: dict[str, list[float | None]] = {"t_s": [], "users": [], "requests_per_s": [], "p95_ms": []}
    if not path.is_file():
        return out
    with path.open(encoding="utf-8", newline="") as fh:
        rows = []
        for r in csv.DictReader(fh):
            try:
                if r.get("Name") == "Aggregated":
                    p95 = r.get("95%") or "N/A"
                    rows.append((float(r["Timestamp"]), float(r["User Count"]), float(r["Total Request Count"]),
                                 None if p95 == "N/A" else float(p95)))  # fmt: skip
            except (KeyError, ValueError):
                continue
    step = max(1, -(-len(rows) // limit))
    kept = rows[::step]
    for i, (t, users, total, p95) in enumerate(kept):
        before = kept[i - 1] if i else None
        rate = (total - before[2]) / max(t - before[0], 1e-9) if before else 0.0
        out["t_s"].append(round(t - kept[0][0], 3))
        out["users"].append(users)
        out["requests_per_s"].append(round(rate, 3))
        out["p95_ms"].append(p95)
    return out


def _read_responses(folder: Path) -> list[tuple[int, int, str]]:
    out = []
    for file in sorted(folder.glob("responses-*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            try:
                index, status, body = json.loads(line)
            except ValueError:
                continue
            out.append((int(index), int(status), body))
    return out


def _histogram(entries: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted response times (ms, as locust rounds them) and their counts over ``entries``."""
    keys = np.array([float(k) for e in entries for k in e["response_times"]])
    counts = np.array([int(v) for e in entries for v in e["response_times"].values()])
    values, inverse = np.unique(keys, return_inverse=True)
    return values, np.bincount(inverse, weights=counts, minlength=len(values)).astype(np.int64)


def _span(entries: list[dict[str, Any]]) -> float:
    start = min(e["start_time"] for e in entries)
    end = max(e["last_request_timestamp"] or start for e in entries)
    return max(end - start, 1e-9)


def _figures(entries: list[dict[str, Any]], level: float) -> dict[str, Any]:
    requests = sum(e["num_requests"] for e in entries)
    failed = sum(e["num_failures"] for e in entries)
    out: dict[str, Any] = {
        "requests": requests,
        "failures": failed,
        "requests_per_s": requests / _span(entries),
    }
    if any(e["response_times"] for e in entries):
        values, counts = _histogram(entries)
        for key, (value, _low, _high, _n) in quantile_figures(values, counts, level).items():
            out[key] = value
    return out


def _result(
    entries: list[dict[str, Any]],
    failures: list[dict[str, Any]],
    requirements: dict[str, Requirement],
    *,
    rule: str,
    level: float,
    name: str,
) -> CheckResult:
    requests = sum(e["num_requests"] for e in entries)
    failed = sum(e["num_failures"] for e in entries)
    seconds = _span(entries)
    metrics: list[MetricValue] = []
    timed = [e for e in entries if e["response_times"]]
    if timed:
        values, counts = _histogram(timed)
        metrics += quantile_metrics(quantile_figures(values, counts, level), requirements)
    # requests/s: the count in the observed span is Poisson; Garwood's exact interval for its rate
    alpha = 1 - level
    low = stats.chi2.ppf(alpha / 2, 2 * requests) / 2 / seconds if requests else 0.0
    high = stats.chi2.ppf(1 - alpha / 2, 2 * requests + 2) / 2 / seconds
    rps = Estimate(requests / seconds, float(low), float(high), "poisson", requests, range=(0.0, math.inf))
    metrics.append(judge("requests_per_s", rps, requirements["requests_per_s"]))
    metrics.append(judge("fail_ratio", share_estimate(failed, requests, level), requirements["fail_ratio"]))
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])
    bad = [m.describe() for m in metrics if m.outcome not in (None, Outcome.PASSED)]
    need = rows_to_decide_all(metrics)
    if need is not None:
        bad.append(f"about {need} requests would decide it")
    if failures:
        top = failures[0]
        bad.append(
            f"most frequent failure ({top['occurrences']}x): {top['method']} {top['name']}: {top['error']}"
        )
        if any("refused" in str(f["error"]).lower() or "reset" in str(f["error"]).lower() for f in failures):
            bad.append("the server stopped accepting connections: did it crash?")
    endpoints = [{"method": e["method"], "name": e["name"], **_figures([e], level)} for e in entries]
    details = {"endpoints": endpoints[:50], "failures": failures, "requests": requests, "failed": failed}
    return CheckResult(name, "load", outcome, metrics, rule, "; ".join(bad), details)


def share_estimate(k: int, n: int, level: float, what: str = "requests were sent") -> Estimate:
    """The share ``k / n`` with its exact (Clopper-Pearson) interval (undefined when ``n`` is 0,
    saying that no ``what``)."""
    if n == 0:
        return Estimate(None, method="clopper-pearson", n=0, range=(0.0, 1.0), reason=f"no {what}")
    low, high = (float(v) for v in clopper_pearson(k, n, level))
    return Estimate(k / n, low, high, "clopper-pearson", n, range=(0.0, 1.0))


def _extract(body: Any, key: str | Callable[[Any], Any] | None) -> Any:
    if isinstance(body, str):
        with contextlib.suppress(ValueError):
            body = json.loads(body)
    if key is None:
        return body
    if callable(key):
        return key(body)
    for part in key.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def _same(got: Any, want: Any, atol: float) -> bool:
    if isinstance(want, np.generic):
        want = want.item()
    if isinstance(got, (int, float)) and isinstance(want, (int, float)) and not isinstance(got, bool):
        return abs(float(got) - float(want)) <= atol
    if isinstance(got, list) or isinstance(want, (list, np.ndarray)):
        try:
            a, b = np.asarray(got), np.asarray(want)
            if a.shape != b.shape:
                return False
            if a.dtype.kind in "biuf" and b.dtype.kind in "biuf":
                return bool(np.allclose(a, b, rtol=0, atol=atol))
            return bool((a == b).all())
        except (TypeError, ValueError):
            return False
    return bool(got == want)


def check_agreement(
    responses: Sequence[Any],
    expected: Sequence[Any],
    *,
    key: str | Callable[[Any], Any] | None = None,
    min: float | None = None,
    max: float | None = None,
    atol: float = 1e-9,
    inputs: Sequence[Any] | None = None,
    statuses: Sequence[int] | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Share of a service's responses that agree with the offline model's answers.

    Parameters
    ----------
    responses:
        Response bodies (JSON text or parsed), one per request.
    expected:
        The offline answer for each response, e.g. ``model.predict(X)[i]``.
    key:
        Where the answer sits in a body: a dotted path (``"label"``, ``"predictions.0"``) or a
        function of the parsed body; by default the whole body.
    min, max:
        Bounds on the agreement rate (one figure, ``agreement``); ``min=1.0`` (every response
        agrees) can only be met by the observed rate and is judged by its value.
    atol:
        Absolute tolerance for numbers.
    inputs, statuses:
        The request payloads and HTTP statuses, shown with mismatches.
    rule, confidence:
        Gate rule and interval level (Clopper-Pearson).
    seed:
        Accepted for a uniform API; nothing is drawn at random.
    name:
        Name of the check (default ``"agreement"``).
    **legacy:
        ``min_agreement=`` (now ``min=``) still works for this release with a ``DeprecationWarning``.

    Returns
    -------
    CheckResult
        Kind ``load`` with one ``agreement`` figure; up to 20 mismatches in ``details``.

    Examples
    --------
    >>> r = check_agreement(['{"label": 1}', '{"label": 0}'] * 50, [1, 0] * 50, key="label", min=0.9)
    >>> r.outcome.value, r.metrics[0].value
    ('passed', 1.0)
    """
    from ..deprecation import legacy_bounds

    rule = validate_rule(rule)
    level = validate_level(confidence)
    with blame_legacy(legacy, {"min_agreement": ("min", "agreement")}):
        low, high = legacy_bounds(
            "check_agreement", legacy, {"min_agreement": ("min", "agreement")}, min, max, default="agreement"
        )
        requirement = requirements_by_figure(
            low, high, ["agreement"], rule=rule, confidence=level, default="agreement"
        )["agreement"]
        _share(requirement, "min", "agreement")
    responses, expected = sequence(responses, "responses"), sequence(expected, "expected")
    inputs, statuses = (
        sequence(inputs, "inputs", optional=True),
        sequence(statuses, "statuses", optional=True),
    )
    key, atol = key_path(key), number(atol, "atol", low=0, example=1e-9)
    n = len(responses)
    if len(expected) != n:
        raise InputError(
            "expected", f"has {len(expected)} entries but responses has {n}", "pass one answer per response"
        )
    agree = np.zeros(n, dtype=bool)
    answers: list[Any] = [None] * n
    for i, (body, want) in enumerate(zip(responses, expected, strict=True)):
        try:
            answers[i] = _extract(body, key)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            answers[i] = f"<no answer at {key!r}: {type(exc).__name__}>"
            continue
        agree[i] = _same(answers[i], want, atol)
    metric = judge(
        "agreement", share_estimate(int(agree.sum()), n, level, "responses to compare"), requirement
    )
    bad = np.flatnonzero(~agree)[:MAX_COUNTEREXAMPLES]
    mismatches = [
        {
            "got": answers[i]
            if isinstance(answers[i], (str, int, float, bool, list, dict, type(None)))
            else str(answers[i]),
            "expected": expected[i].item() if isinstance(expected[i], np.generic) else expected[i],
            **({"input": inputs[i]} if inputs is not None else {}),
            **({"status": statuses[i]} if statuses is not None else {}),
        }
        for i in bad
    ]
    outcome = worst([metric.outcome] if metric.outcome is not None else [])
    message = "" if outcome is Outcome.PASSED else metric.describe()
    need = rows_to_decide_all([metric])
    if need is not None:
        message += f"; about {need} responses would decide it"
    if mismatches and outcome is not Outcome.PASSED:
        message += f"; first mismatch: got {mismatches[0]['got']!r}, expected {mismatches[0]['expected']!r}"
    return CheckResult(
        name or "agreement", "load", outcome, [metric], rule, message, {"mismatches": mismatches}
    )
