"""The test suite at scale: its count and time with spec/ as it is and with spec/ grown to N
operations by clones of its own operations, so the cost each operation adds to CI is measured,
not guessed.

Each size runs in a copy of the checkout's tracked files as they are in the working tree: the
spec is grown, `kisgen generate` writes the client, and pytest runs there with that client first
on the path. The generator and the test tools are this interpreter's (the checkout's .venv), so
an older revision is measured by running this file from a checkout of it with its own .venv.
Run alone with `python -m bench.suite --operations 300`, or from bench/run.py.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
KISGEN = Path(PYTHON).parent / "kisgen"
CLONES_PER_FILE = 25  # like the real area files


def checkout(target: Path) -> Path:
    """The repository's tracked files as they are in the working tree."""
    target.mkdir(parents=True)
    names = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, names):
        source = ROOT / name
        if source.is_file():  # a file deleted in the working tree is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _spec_data(spec: Path) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(spec.rglob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        if isinstance(data, dict):
            found.append((path, data))
    return found


def grow_spec(spec: Path, operations: int) -> int:
    """Add clones of the spec's own operations (auth aside) until it has ``operations``; each
    clone joins its original's area under a new name, path and TR_IDs. Returns the count before."""
    files = _spec_data(spec)
    shapes = [(data.get("area", path.stem), name, op) for path, data in files for name, op in data.get("operations", {}).items()]
    shapes = [(area, name, op) for area, name, op in shapes if area != "auth"]
    have = sum(len(data.get("operations", {})) for _, data in files)
    numbers = itertools.count(1)

    def renumber(node: Any) -> Any:
        """Every TR_ID in a tr_id table made new: first and last letter kept (the mock rule
        reads the first), an S and a serial number between."""
        if isinstance(node, dict):
            return {key: renumber(value) for key, value in node.items()}
        if isinstance(node, list):
            return [renumber(value) for value in node]
        if isinstance(node, str) and re.fullmatch(r"[A-Z0-9]{9,13}", node):
            return f"{node[0]}S{next(numbers):0{len(node) - 3}d}{node[-1]}"
        return node

    by_area: dict[str, dict[str, Any]] = {}
    for index in range(max(0, operations - have)):
        area, name, op = shapes[index % len(shapes)]
        clone = copy.deepcopy(op)
        clone["path"] = f"{op['path']}-s{index:04d}"
        clone.pop("api_id", None)
        if isinstance(clone.get("tr_id"), dict):
            clone["tr_id"].pop("retired", None)
            clone["tr_id"] = renumber(clone["tr_id"])
        by_area.setdefault(area, {})[f"{name}_s{index:04d}"] = clone
    source = {"document": "synthetic: clones of the spec's own operations (bench/suite.py)", "date": "2026-12-06"}
    for area, clones in by_area.items():
        names = list(clones)
        for start in range(0, len(names), CLONES_PER_FILE):
            part = {name: clones[name] for name in names[start : start + CLONES_PER_FILE]}
            text = yaml.dump({"source": source, "area": area, "operations": part}, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
            (spec / f"synthetic_{area}_{start // CLONES_PER_FILE:02d}.yaml").write_text(text, encoding="utf-8")
    return have


def operation_count(spec: Path) -> int:
    return sum(len(data.get("operations", {})) for _, data in _spec_data(spec))


def ci_env(project: Path) -> dict[str, str]:
    """As on a fresh clone: the project's own client first on the path, no caches of earlier runs."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "KISGEN_CACHE_DIR")}
    env["PYTHONPATH"] = str(project / "generated")
    env["KISGEN_CACHE_DIR"] = str(project / ".cache")
    return env


def children_cpu() -> float:
    """CPU seconds (user and system) of every finished child process and of what they waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], project: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=project, env=ci_env(project), check=True, capture_output=True)
    return time.perf_counter() - start


def run_ci(project: Path) -> dict[str, Any]:
    """The steps of scripts/test after set-up, timed: validate, check (a cold black cache, as on
    a fresh clone), mypy --strict (no cache), then pytest."""
    steps = {
        "kisgen validate": timed([str(KISGEN), "validate"], project),
        "kisgen check": timed([str(KISGEN), "check"], project),
        "mypy --strict": timed([PYTHON, "-m", "mypy", "--strict", "--cache-dir", str(project / ".mypy_cache"), "generator", "generated/kis_client"], project),
    }
    return {"steps_s": steps, **run_pytest(project)}


def run_pytest(project: Path) -> dict[str, Any]:
    """pytest in ``project``, its client first on the path: wall time, CPU time (which a busy
    shared machine disturbs less), count, outcome per file."""
    report = project / "junit.xml"
    start, cpu_start = time.perf_counter(), children_cpu()
    done = subprocess.run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"], cwd=project, env=ci_env(project), capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu_start
    seconds: dict[str, float] = {}
    tests: Counter[str] = Counter()
    failed: list[str] = []
    for case in ElementTree.parse(report).iter("testcase"):
        module = (case.get("classname") or "").removeprefix("tests.")
        seconds[module] = seconds.get(module, 0.0) + float(case.get("time") or 0)
        tests[module] += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{module}::{case.get('name')}")
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "tests": sum(tests.values()),
        "failed": failed,
        "summary": summary,
        "files": {module: {"tests": tests[module], "seconds": round(seconds[module], 2)} for module in sorted(tests)},
    }


def measure(sizes: list[int], work: Path) -> dict[str, Any]:
    """The suite at spec/ as it is (size 0) and at each size; one copy of the checkout each."""
    revision = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    results: dict[str, Any] = {"revision": revision, "runs": {}}
    for size in sizes:
        project = checkout(work / f"suite-{size or 'spec'}")
        if size:
            grow_spec(project / "spec", size)
            # Its own black cache, so that `kisgen check` below starts cold, as on a fresh clone.
            env = {**ci_env(project), "KISGEN_CACHE_DIR": str(work / "generate-cache")}
            subprocess.run([str(KISGEN), "--root", str(project), "generate"], env=env, check=True, capture_output=True)
        count = operation_count(project / "spec")
        print(f"   test suite at {count} operations", flush=True)
        results["runs"][str(count)] = run_ci(project)
        shutil.rmtree(project, ignore_errors=True)
    return results


def per_operation(results: dict[str, Any]) -> dict[str, Any]:
    """What each operation added between the smallest and the largest run, overall and per file."""
    runs = results["runs"]
    if len(runs) < 2:
        return {}
    sizes = sorted(int(key) for key in runs)
    small, large = str(sizes[0]), str(sizes[-1])
    added = int(large) - int(small)
    files = set(runs[small]["files"]) | set(runs[large]["files"])

    def grown(module: str, what: str) -> float:
        return float(runs[large]["files"].get(module, {}).get(what, 0) - runs[small]["files"].get(module, {}).get(what, 0)) / added

    by_file = {module: {"tests": grown(module, "tests"), "seconds": grown(module, "seconds")} for module in files}
    return {
        "from": int(small),
        "to": int(large),
        "tests": (runs[large]["tests"] - runs[small]["tests"]) / added,
        "wall_s": (runs[large]["wall_s"] - runs[small]["wall_s"]) / added,
        "cpu_s": (runs[large]["cpu_s"] - runs[small]["cpu_s"]) / added,
        "steps_s": (sum(runs[large]["steps_s"].values()) - sum(runs[small]["steps_s"].values())) / added,
        "by_file": dict(sorted(by_file.items(), key=lambda item: -item[1]["seconds"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, action="append", help="grow the spec to this many operations (repeatable); spec/ as it is always runs")
    parser.add_argument("--output", help="write the results as JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kisgen-suite-") as work:
        results = measure([0, *(args.operations or [300])], Path(work))
    results["per_operation"] = per_operation(results)
    text = json.dumps(results, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
