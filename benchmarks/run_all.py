"""Run every benchmarks/bench_*.py, one after the other, each in its own process, and print one Markdown report:
the machine, then each script's output under its name with how long it ran and the load average around it.

    make bench
    .venv/bin/python benchmarks/run_all.py [NAME ...] [--output report.md] [--timeout 1800]

NAME picks scripts by part of their name (`run_all.py loading viewer`). A script that fails or times out is
reported with the end of its error output and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
ERROR_TAIL_LINES = 20


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                        platform.processor() or "unknown CPU")
    except OSError:
        return platform.processor() or "unknown CPU"


def _memory_gib() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
        return f"{kib / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        return "unknown memory"


def _git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                                 capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return commit + (" with uncommitted changes" if changed else "")


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def machine_header() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return "\n".join([
        "# cemviewer benchmarks",
        "",
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; code: {_git_commit()}",
        f"- machine: {_cpu_model()}, {cores} cores usable, {_memory_gib()}; {platform.platform()}; "
        f"Python {platform.python_version()}",
        f"- load average at the start: {_load()} (the figures are wall-clock; other work on the machine slows them)",
    ])


def as_markdown(output: str) -> str:
    """A script's output as it is when it holds a Markdown table, else fenced so its layout survives."""
    text = output.strip()
    if any(line.startswith("|") for line in text.splitlines()):
        return text
    return f"```text\n{text}\n```" if text else "_(no output)_"


def run_script(script: Path, timeout_s: float) -> tuple[bool, str]:
    """Run one benchmark; (succeeded, its Markdown section)."""
    environment = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    load_before, started = _load(), time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(script)], cwd=REPO, env=environment, capture_output=True,
                              text=True, timeout=timeout_s)
        output, errors, status = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout or ""
        errors, status = f"stopped after {timeout_s:.0f} s", None
    seconds = time.perf_counter() - started
    lines = [f"## {script.name}", "",
             f"`{Path(sys.executable).name} benchmarks/{script.name}`: {seconds:.0f} s, "
             f"load average {load_before} before, {_load()} after.", ""]
    if output.strip():
        lines += [as_markdown(output), ""]
    succeeded = status == 0
    if not succeeded:
        tail = "\n".join((errors or "").strip().splitlines()[-ERROR_TAIL_LINES:])
        lines += [f"**Failed** ({'timed out' if status is None else f'exit status {status}'}):", "",
                  f"```text\n{tail}\n```", ""]
    return succeeded, "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="run only the scripts whose name contains one of these")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds one script may run (default 1800)")
    args = parser.parse_args()

    scripts = sorted(BENCHMARKS.glob("bench_*.py"))
    if args.names:
        scripts = [script for script in scripts if any(name in script.stem for name in args.names)]
    if not scripts:
        print(f"No benchmark in {BENCHMARKS} matches {' '.join(args.names)}", file=sys.stderr)
        return 1

    sections = [machine_header(), ""]
    print(sections[0], "", sep="\n", flush=True)
    all_ran = True
    for script in scripts:
        succeeded, section = run_script(script, args.timeout)
        all_ran &= succeeded
        sections.append(section)
        print(section, flush=True)
    if args.output:
        args.output.write_text("\n".join(sections))
    return 0 if all_ran else 1


if __name__ == "__main__":
    sys.exit(main())
