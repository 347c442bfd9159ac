#!/usr/bin/env python3
"""Kopdes benchmarks, run by `make bench`: each figure is measured, compared with its limit, printed
and written to bench/results/latest.md. Exits 1 when a limit fails, 2 when a step could not run.

1. `manage.py load_regions` on an empty SQLite file and an empty PostgreSQL database, then again.
2. wrk over loopback against scripts/serve (gunicorn + task worker, DEBUG=0): the framework floor
   `/ping` and the region pages `/wilayah/53/` and `/wilayah/64.02/`; region/floor req/s ratio.
3. Resident memory of every gunicorn worker, sampled during the region-page load.
4. `make run` in a fresh clone of HEAD (pip without cache) until /healthz answers, then again.

Knobs (environment): BENCH_DURATION, BENCH_ROUNDS, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_THREADS,
BENCH_SKIP_PG, BENCH_SKIP_LOAD, BENCH_SKIP_FRESH, BENCH_FRESH_TIMEOUT, BENCH_PG_URL, BENCH_KEEP.
See bench/README.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
LUA_SCRIPT = BENCH_DIR / "wrk_report.lua"
PYTHON = ROOT / ".venv" / "bin" / "python"
HOST = "127.0.0.1"  # the only address any load of this suite is sent to


def _env_int(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        value = default
    return min(max(value, low), high)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


DURATION = _env_int("BENCH_DURATION", 15, 1, 120)  # seconds of measured load on each page
ROUNDS = _env_int("BENCH_ROUNDS", 3, 1, 10)  # the pages take turns, DURATION / ROUNDS s each
WARMUP = _env_int("BENCH_WARMUP", 3, 0, 30)  # seconds of wrk on each page before measuring
CONNECTIONS = _env_int("BENCH_CONNECTIONS", 32, 1, 256)
THREADS = _env_int("BENCH_THREADS", 2, 1, 16)
FRESH_TIMEOUT = _env_int("BENCH_FRESH_TIMEOUT", 420, 30, 1800)  # hard stop of each `make run`
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
KEEP = _env_flag("BENCH_KEEP")

LOAD_REGIONS_LIMIT_S = 10.0
RATIO_LIMIT = 0.50
WORKER_RSS_LIMIT_MB = 150.0
FRESH_RUN_LIMIT_S = 180.0
MEMORY_SAMPLE_EVERY_S = 0.5

FLOOR_URL = "/ping"
REGION_PAGES = [
    ("/wilayah/53/", "NTT province", "53"),
    ("/wilayah/64.02/", "Kutai Kartanegara", "64.02"),
    # A query string bypasses the visitors' whole-page cache: the page is rendered on every
    # request (with its cached body fragment), as it is for a logged-in user. Informational.
    ("/wilayah/53/?tampil=1", "NTT province, rendered each time", "53"),
]
UNLIMITED = {"/wilayah/53/?tampil=1"}

# The environment of every command: this shell's, less whatever would point the app elsewhere.
_DROPPED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "PORT",
    "HOST",
    "BIND",
    "WEB_CONCURRENCY",
    "ACCESS_LOG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "MEDIA_STORAGE",
    "LOG_LEVEL",
    "GUNICORN_TIMEOUT",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "MAKEOVERRIDES",
    "CACHE_PREFIX",
}


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _DROPPED and not key.startswith(("KOPDES_", "DJANGO_"))
    }
    env.update(extra)
    return env


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Figures ------------------------------------------------------------------------------------


@dataclass
class Figure:
    section: str
    name: str
    value: str
    limit: str = "—"
    ok: bool | None = None  # None: informational, no limit
    note: str = ""

    @property
    def result(self) -> str:
        return "—" if self.ok is None else ("PASS" if self.ok else "FAIL")


FIGURES: list[Figure] = []
STARTING_LOAD = "?"
PROBLEMS: list[str] = []  # steps that could not run at all


def figure(*args, **kwargs) -> Figure:
    fig = Figure(*args, **kwargs)
    FIGURES.append(fig)
    mark = "" if fig.ok is None else f"  [{fig.result}, limit {fig.limit}]"
    note = f"  ({fig.note})" if fig.note else ""
    log(f"{fig.section} · {fig.name}: {fig.value}{mark}{note}")
    return fig


def step(section: str, fn: Callable[[], None]) -> None:
    """Run one section; a crash is reported as a failed figure and the next section still runs."""
    log(f"== {section}")
    try:
        fn()
    except Exception as exc:
        traceback.print_exc()
        PROBLEMS.append(f"{section}: {exc}")
        figure(section, "step completed", f"error: {exc}"[:300], "runs", False)


# --- Processes ------------------------------------------------------------------------------------

_GROUPS: list[subprocess.Popen] = []  # servers started in their own session, stopped at exit


def start_group(args: list[str], *, cwd: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    out = open(log_path, "ab")  # noqa: SIM115 - the child owns it for its whole life
    try:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        out.close()
    _GROUPS.append(proc)
    return proc


def _group_members(pgid: int) -> list[int]:
    return [pid for pid, info in _proc_table().items() if info[1] == pgid]


def stop_group(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM the whole process group, SIGKILL what is left after `grace` seconds."""
    pgid = proc.pid  # start_new_session: the leader's pid is the group id
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()
        if proc.returncode is not None and not _group_members(pgid):
            break
        time.sleep(0.2)
    if _group_members(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    if proc in _GROUPS:
        _GROUPS.remove(proc)


def stop_all_groups() -> None:
    for proc in list(_GROUPS):
        stop_group(proc, grace=10.0)


def run(args: list[str], *, cwd: Path = ROOT, env: dict[str, str], timeout: float) -> tuple[float, str]:
    """Run a command to completion; its wall time and output. A non-zero exit raises."""
    started = time.perf_counter()
    done = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed = time.perf_counter() - started
    output = (done.stdout or "") + (done.stderr or "")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {done.returncode}: {output[-2000:]}")
    return elapsed, output


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> tuple[float, str]:
    return run([str(PYTHON), "manage.py", *args], env=env, timeout=timeout)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """GET without following redirects: (status, body); status 0 when nothing answered."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


def wait_for_200(url: str, proc: subprocess.Popen, timeout: float) -> float | None:
    """Seconds until `url` answers 200, None when `proc` died or `timeout` passed (polls 4/s)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if http_get(url, timeout=2.0)[0] == 200:
            return time.perf_counter() - started
        if proc.poll() is not None:
            return None
        time.sleep(0.25)
    return None


def tail(path: Path, chars: int = 1500) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if KEEP:
            log(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


# --- /proc -------------------------------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) of every process."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # the name in parentheses may hold spaces
        table[int(entry)] = (int(fields[1]), int(fields[2]))
    return table


def _cpu_seconds(pid: int, split: bool = False):
    """CPU time a process has used so far: user + system, or (user, system); 0 when gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
    except OSError:
        return (0.0, 0.0) if split else 0.0
    fields = stat[stat.rfind(")") + 2 :].split()
    tick = os.sysconf("SC_CLK_TCK")
    user, system = int(fields[11]) / tick, int(fields[12]) / tick
    return (user, system) if split else user + system


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _status_kb(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _pss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def server_processes(pgid: int) -> dict[str, list[int]]:
    """The gunicorn master, its workers and the task worker inside one process group."""
    table = _proc_table()
    members = {pid: ppid for pid, (ppid, group) in table.items() if group == pgid}
    gunicorn = {pid for pid in members if "gunicorn" in _cmdline(pid)}
    masters = [pid for pid in gunicorn if members[pid] not in gunicorn]
    workers = sorted(pid for pid in gunicorn if members[pid] in masters)
    task_command = re.compile(r"manage\.py (db_worker|rqworker)")
    tasks = sorted(pid for pid in members if task_command.search(_cmdline(pid)))
    return {"master": sorted(masters), "workers": workers, "tasks": tasks}


def wait_for_workers(pgid: int, timeout: float = 15.0) -> dict[str, list[int]]:
    """The server's processes once the number of gunicorn workers has held still for 1 s."""
    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while True:
        processes = server_processes(pgid)
        count = len(processes["workers"])
        if count != last:
            last, since = count, time.monotonic()
        elif count and time.monotonic() - since >= 1.0:
            return processes
        if time.monotonic() > deadline:
            return processes
        time.sleep(0.2)


class MemorySampler:
    """Samples VmRSS (and PSS) of the gunicorn workers in a thread while a load runs."""

    def __init__(self, pgid: int):
        self.pgid = pgid
        self.rss_kb: dict[int, int] = {}
        self.pss_kb: dict[int, int] = {}
        self.samples = 0
        self.active = True  # samples are taken only while this is set
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        deadline = time.monotonic() + 600  # bounded even if never stopped
        while not self._stop.is_set() and time.monotonic() < deadline:
            if not self.active:
                self._stop.wait(0.1)
                continue
            for pid in server_processes(self.pgid)["workers"]:
                rss, pss = _status_kb(pid, "VmRSS"), _pss_kb(pid)
                if rss is not None:
                    self.rss_kb[pid] = max(self.rss_kb.get(pid, 0), rss)
                if pss is not None:
                    self.pss_kb[pid] = max(self.pss_kb.get(pid, 0), pss)
            self.samples += 1
            self._stop.wait(MEMORY_SAMPLE_EVERY_S)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# --- 1. load_regions ---------------------------------------------------------------------------

_LOAD_LINE = re.compile(r"regions: (\d+) \((\d+) created, (\d+) updated, (\d+) unchanged\) in ([\d.]+)s")


def time_load_regions(label: str, env: dict[str, str]) -> None:
    manage("migrate", "--noinput", "-v0", env=env)
    for run_name, fresh in (("empty database", True), ("second run (idempotent)", False)):
        elapsed, output = manage("load_regions", env=env, timeout=120)
        match = _LOAD_LINE.search(output)
        note = f"command's own timer {match.group(5)} s; " if match else ""
        ok = elapsed <= LOAD_REGIONS_LIMIT_S
        if match:
            total, created, updated = (int(match.group(i)) for i in (1, 2, 3))
            note += f"{total} regions, {created} created, {updated} updated"
            if total < 90_000:
                ok, note = False, note + "; fewer regions than the whole tree"
            if not fresh and (created or updated):
                ok, note = False, note + "; second run changed rows: not idempotent"
            if fresh and created != total:
                ok, note = False, note + "; database was not empty"
        else:
            ok, note = False, "no summary line in the output"
        figure(
            "1 load_regions",
            f"{label}, {run_name}",
            f"{elapsed:.1f} s",
            f"≤ {LOAD_REGIONS_LIMIT_S:.0f} s",
            ok,
            note,
        )


def bench_load_regions_sqlite() -> None:
    with temp_dir("kopdes-bench-sqlite-") as var:
        time_load_regions("SQLite", clean_env(KOPDES_VAR_DIR=str(var)))


def bench_load_regions_postgres() -> None:
    import psycopg  # the project's own dependency, in .venv

    name = f"kopdes_bench_{os.getpid()}"
    admin = f"{PG_URL}/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with temp_dir("kopdes-bench-pg-") as var:
            env = clean_env(KOPDES_VAR_DIR=str(var), DATABASE_URL=f"{PG_URL}/{name}")
            time_load_regions("PostgreSQL", env)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- 2 and 3. wrk and memory ------------------------------------------------------------------


def wrk(url: str, seconds: int) -> dict:
    """One bounded wrk run with bench/wrk_report.lua: its summary, status codes and quantiles."""
    args = [
        shutil.which("wrk") or "/usr/bin/wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        url,
    ]
    _, output = run(args, env=clean_env(), timeout=seconds + 60)
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON ") :])
    raise RuntimeError(f"wrk printed no BENCH_JSON line: {output[-1500:]}")


def _cpu_split(pids: list[int]) -> dict[int, tuple[float, float]]:
    return {pid: _cpu_seconds(pid, split=True) for pid in pids}


@dataclass
class PageLoad:
    """One page's wrk rounds added up: requests, time, errors, bytes, latency and worker CPU."""

    path: str
    label: str
    body_bytes: int = 0  # the page's body as one GET saw it before the load
    requests: int = 0
    seconds: float = 0.0
    bytes: int = 0
    non2xx3xx: int = 0
    socket_errors: int = 0
    cpu_user: float = 0.0
    cpu_sys: float = 0.0
    rounds: int = 0
    weighted: list | None = None  # (latency µs, weight in requests) from every round's quantiles
    max_loadavg: float = 0.0

    def add(self, data: dict, cpu_user: float, cpu_sys: float) -> None:
        self.rounds += 1
        self.requests += int(data["requests"])
        self.seconds += data["duration_us"] / 1e6
        self.bytes += int(data["bytes"])
        self.non2xx3xx += int(data["errors"]["status"])
        self.socket_errors += sum(int(data["errors"][k]) for k in ("connect", "read", "write", "timeout"))
        self.cpu_user += cpu_user
        self.cpu_sys += cpu_sys
        self.weighted = self.weighted or []
        previous = 0.0
        for quantile, value in data["quantiles"]:
            self.weighted.append((value, data["requests"] * (quantile - previous) / 100))
            previous = quantile
        self.max_loadavg = max(self.max_loadavg, os.getloadavg()[0])

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        points = sorted(self.weighted or [])
        total = sum(weight for _, weight in points)
        seen = 0.0
        for value, weight in points:
            seen += weight
            if seen >= total * p / 100 - 1e-9:
                return value / 1000
        return points[-1][0] / 1000 if points else 0.0

    def cpu_ms(self) -> tuple[float, float]:
        n = self.requests or 1
        return self.cpu_user * 1000 / n, self.cpu_sys * 1000 / n

    def describe(self) -> str:
        return (
            f"{self.rps:.0f} req/s · p50 {self.percentile_ms(50):.1f} ms · "
            f"p99 {self.percentile_ms(99):.1f} ms"
        )

    def status(self) -> tuple[bool, str]:
        """All 200? wrk counts non-2xx/3xx answers; a 3xx or an error page would show in the
        bytes per response, which must be the 200 body plus headers (under 2 KiB of them)."""
        user, system = self.cpu_ms()
        per_response = self.bytes / self.requests if self.requests else 0.0
        sizes_ok = self.body_bytes <= per_response <= self.body_bytes + 2048
        ok = self.requests > 0 and not self.non2xx3xx and not self.socket_errors and sizes_ok
        note = (
            f"{self.requests} responses, {self.non2xx3xx} non-2xx/3xx, {per_response:.0f} bytes "
            f"each (body {self.body_bytes}) in {self.rounds} rounds, {self.seconds:.0f} s; "
            f"worker CPU {user + system:.2f} ms/request ({user:.2f} user + {system:.2f} system); "
            f"max load average {self.max_loadavg:.1f}"
        )
        if self.socket_errors:
            note += f"; {self.socket_errors} socket errors or timeouts"
        if not sizes_ok:
            note += "; bytes per response do not match the 200 page"
        return ok, note


def check_page(base: str, path: str, prefix: str | None) -> tuple[int, str]:
    """One GET: it must answer 200 itself (no redirect); the body's size and what it lists."""
    status, body = http_get(base + path, timeout=10)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}, not 200")
    size = len(body.encode())
    if prefix is None:
        return size, ""
    children = set(re.findall(rf'href="/wilayah/({re.escape(prefix)}\.[0-9.]+)/"', body))
    return size, f"{len(children)} child regions listed, {size / 1024:.1f} KiB"


def bench_load() -> None:
    with temp_dir("kopdes-bench-serve-") as var:
        env = clean_env(KOPDES_VAR_DIR=str(var), DEBUG="0")
        for command in (
            ("migrate", "--noinput", "-v0"),
            ("collectstatic", "--noinput", "-v0"),
            ("load_regions",),
            ("load_demo",),
        ):
            manage(*command, env=env)
        port = free_port()
        env["PORT"] = str(port)
        base = f"http://{HOST}:{port}"
        server_log = var / "serve.log"
        serve = [str(ROOT / "scripts" / "serve")]
        proc = start_group(serve, cwd=ROOT, env=env, log_path=server_log)
        try:
            if wait_for_200(base + "/healthz", proc, timeout=60) is None:
                raise RuntimeError(f"scripts/serve did not answer /healthz: {tail(server_log)}")
            processes = wait_for_workers(proc.pid)
            if not processes["workers"]:
                raise RuntimeError("no gunicorn workers found under scripts/serve")
            log(
                f"serving on {base}: gunicorn master {processes['master']}, "
                f"{len(processes['workers'])} workers, task worker {processes['tasks']}"
            )
            pages = [(FLOOR_URL, "floor", None), *REGION_PAGES]
            checked = {path: check_page(base, path, prefix) for path, _, prefix in pages}
            notes = {path: note for path, (_, note) in checked.items()}
            floor, *regions = (PageLoad(path, label, checked[path][0]) for path, label, _ in pages)
            if WARMUP:
                for page in (floor, *regions):
                    wrk(base + page.path, WARMUP)
            # Rounds interleave the pages, so a change in the machine's other load during the
            # run weighs on the floor and the region pages alike and the ratio stays fair.
            seconds = max(DURATION // ROUNDS, 1)
            with MemorySampler(proc.pid) as sampler:
                for number in range(ROUNDS):
                    for page in (floor, *regions):
                        sampler.active = page is not floor
                        workers = server_processes(proc.pid)["workers"]
                        before = _cpu_split(workers)
                        data = wrk(base + page.path, seconds)
                        after = _cpu_split(workers)
                        sampler.active = False
                        # Workers recycled mid-round (max_requests) are missed: a lower bound.
                        user = sum(max(after[p][0] - before[p][0], 0.0) for p in workers)
                        system = sum(max(after[p][1] - before[p][1], 0.0) for p in workers)
                        page.add(data, user, system)
                    log(
                        f"round {number + 1}/{ROUNDS}: "
                        + ", ".join(f"{p.path} {p.rps:.0f} req/s" for p in (floor, *regions))
                    )

            for path, _, prefix in pages:  # still 200 after the load
                check_page(base, path, prefix)
            ok, note = floor.status()
            figure("2 load", f"floor `{FLOOR_URL}`", floor.describe(), "all 200", ok, note)
            for page in regions:
                ok, note = page.status()
                figure(
                    "2 load",
                    f"`{page.path}` ({page.label})",
                    page.describe(),
                    "all 200",
                    ok,
                    f"{notes[page.path]}; {note}",
                )
            for page in regions:
                ratio = page.rps / floor.rps if floor.rps else 0.0
                limited = page.path not in UNLIMITED
                figure(
                    "2 load",
                    f"`{page.path}` / floor req/s",
                    f"{ratio:.0%}",
                    f"≥ {RATIO_LIMIT:.0%}" if limited else "—",
                    (ratio >= RATIO_LIMIT) if limited else None,
                    f"{page.rps:.0f} / {floor.rps:.0f} req/s ({page.label})",
                )

            if not sampler.rss_kb:
                raise RuntimeError("no worker memory could be sampled")
            worst = max(sampler.rss_kb.values()) / 1024
            per_worker = ", ".join(f"{kb / 1024:.0f}" for _, kb in sorted(sampler.rss_kb.items()))
            pss = max(sampler.pss_kb.values(), default=0) / 1024
            figure(
                "3 memory",
                "max VmRSS of a gunicorn worker",
                f"{worst:.0f} MB",
                f"≤ {WORKER_RSS_LIMIT_MB:.0f} MB",
                worst <= WORKER_RSS_LIMIT_MB,
                f"{len(sampler.rss_kb)} workers seen, {sampler.samples} samples during the region "
                f"loads; per worker MB: {per_worker}; max PSS {pss:.0f} MB; "
                f"master {_rss_mb(processes['master'])} MB, task worker "
                f"{_rss_mb(processes['tasks'])} MB at the end",
            )
        finally:
            stop_group(proc)


def _rss_mb(pids: list[int]) -> str:
    values = [_status_kb(pid, "VmRSS") for pid in pids]
    return "/".join(f"{v / 1024:.0f}" for v in values if v is not None) or "?"


# --- 4. make run on a fresh clone ---------------------------------------------------------------


def time_make_run(clone: Path, label: str, env: dict[str, str]) -> None:
    port = free_port()
    log_path = clone.parent / f"make-run-{label.split()[0]}.log"
    started = time.perf_counter()
    proc = start_group(["make", "run", f"PORT={port}"], cwd=clone, env=env, log_path=log_path)
    try:
        waited = wait_for_200(f"http://{HOST}:{port}/healthz", proc, timeout=FRESH_TIMEOUT)
        elapsed = time.perf_counter() - started
    finally:
        stop_group(proc)
    for _ in range(40):  # the next run wants a port too; make sure this one let go
        if port_free(port):
            break
        time.sleep(0.25)
    if waited is None:
        state = f"exited {proc.returncode}" if proc.returncode is not None else "still starting"
        figure(
            "4 make run",
            label,
            f"no 200 after {elapsed:.0f} s ({state})",
            f"≤ {FRESH_RUN_LIMIT_S:.0f} s",
            False,
            tail(log_path, 600).replace("\n", " ⏎ "),
        )
        return
    figure(
        "4 make run",
        label,
        f"{waited:.1f} s",
        f"≤ {FRESH_RUN_LIMIT_S:.0f} s",
        waited <= FRESH_RUN_LIMIT_S,
        f"port {port}, log {log_path.name}",
    )


def bench_fresh_clone() -> None:
    with temp_dir("kopdes-bench-clone-") as tmp:
        clone = tmp / "kopdes"
        _, head = run(["git", "rev-parse", "--short", "HEAD"], env=clean_env(), timeout=30)
        run(["git", "clone", "-q", str(ROOT), str(clone)], env=clean_env(), timeout=120)
        env = clean_env(PIP_NO_CACHE_DIR="1")
        time_make_run(clone, f"fresh clone of {head.strip()} → /healthz 200", env)
        time_make_run(clone, "second `make run`, same clone → /healthz 200", env)
        _, dirty = run(["git", "status", "--porcelain"], cwd=clone, env=clean_env(), timeout=30)
        if dirty.strip():
            figure(
                "4 make run",
                "clone left clean by make run",
                "no",
                "clean",
                False,
                dirty.strip().replace("\n", ", ")[:300],
            )


# --- Report -------------------------------------------------------------------------------------


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        total_kb = int(fh.readline().split()[1])
        return f"{os.cpu_count()} cores ({cpu}), {total_kb / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} cores ({cpu})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report(started: dt.datetime, seconds: float) -> str:
    try:
        _, head = run(["git", "rev-parse", "--short", "HEAD"], env=clean_env(), timeout=30)
    except Exception:
        head = "?"
    failed = [f for f in FIGURES if f.ok is False]
    lines = [
        "# Kopdes benchmark results",
        "",
        f"- date: {started.strftime('%Y-%m-%d %H:%M:%S %z')} ({seconds:.0f} s)",
        f"- machine: {machine()}; Python {platform.python_version()}; commit {head.strip()}",
        f"- load: wrk {THREADS} threads, {CONNECTIONS} connections, {DURATION} s per page in "
        f"{ROUNDS} interleaved rounds after {WARMUP} s warm-up, loopback to scripts/serve "
        "(gunicorn from config/gunicorn.conf.py, DEBUG=0, SQLite)",
        f"- load average when the run started: {STARTING_LOAD}",
        f"- overall: **{'FAIL' if failed or PROBLEMS else 'PASS'}** "
        f"({len(FIGURES) - len(failed)} of {len(FIGURES)} figures pass)",
        "",
        "| Step | Figure | Value | Limit | Result | Notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in FIGURES:
        lines.append(
            f"| {_cell(f.section)} | {_cell(f.name)} | {_cell(f.value)} | {_cell(f.limit)} "
            f"| {f.result} | {_cell(f.note)} |"
        )
    if PROBLEMS:
        lines += ["", "Steps that could not run:", ""] + [f"- {_cell(p)}" for p in PROBLEMS]
    return "\n".join(lines) + "\n"


def _terminate(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    if not PYTHON.exists():
        print("bench: .venv is missing; run `make bench`", file=sys.stderr)
        return 2
    if not (shutil.which("wrk") or Path("/usr/bin/wrk").exists()):
        print("bench: wrk is missing; `make system-deps` installs it", file=sys.stderr)
        return 2
    global STARTING_LOAD
    STARTING_LOAD = " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1/5/15 min)"
    started, clock = dt.datetime.now().astimezone(), time.perf_counter()
    try:
        step("1 load_regions (SQLite)", bench_load_regions_sqlite)
        if _env_flag("BENCH_SKIP_PG"):
            log("PostgreSQL skipped (BENCH_SKIP_PG=1)")
        else:
            step("1 load_regions (PostgreSQL)", bench_load_regions_postgres)
        if _env_flag("BENCH_SKIP_LOAD"):
            log("load and memory skipped (BENCH_SKIP_LOAD=1)")
        else:
            step("2 load / 3 memory", bench_load)
        if _env_flag("BENCH_SKIP_FRESH"):
            log("fresh-clone `make run` skipped (BENCH_SKIP_FRESH=1)")
        else:
            step("4 make run", bench_fresh_clone)
    finally:
        stop_all_groups()
    text = report(started, time.perf_counter() - clock)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    partial = RESULTS_DIR / "latest.md.tmp"
    partial.write_text(text)
    partial.replace(RESULTS_DIR / "latest.md")
    print()
    print(text)
    print(f"written to {(RESULTS_DIR / 'latest.md').relative_to(ROOT)}")
    if PROBLEMS:
        return 2
    return 1 if any(f.ok is False for f in FIGURES) else 0


if __name__ == "__main__":
    sys.exit(main())
