"""What the generated client costs as the spec grows: generation, import, and the first call into
one area, on spec/ and on spec/ grown to N operations (bench.run.synthetic_spec).

Run with `.venv/bin/python -m bench.scale [--operations 300 ...]`; never part of the tests. Each
client is generated into a temporary project, compiled to bytecode (as an installed package is),
and timed in fresh interpreters: the median of several runs, in milliseconds of the process's
CPU time after start-up (on a shared machine wall time mostly measures the neighbours; on an idle
one the two agree).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.run import BIN, PYTHON, ROOT, kisgen, project, synthetic_spec

# One call through the public API, against an in-process transport: a token, then the operation.
FIRST_CALL = """
import time
start = time.process_time()
import httpx
httpx_done = time.process_time()
from kis_client import KisClient

def reply(request):
    if request.url.path.startswith("/oauth2/"):
        return httpx.Response(200, json={{"access_token": "t" * 40, "expires_in": 86400}})
    return httpx.Response(200, json={{"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "ok"}})

clients = {{}}
for env, area, name, arguments in {calls!r}:
    if env not in clients:
        clients[env] = KisClient("k" * 36, "s" * 180, account="12345678-01", env=env, token_cache=False, rate_limit=0, transport=httpx.MockTransport(reply))
    getattr(getattr(clients[env], area), name)(**arguments)
end = time.process_time()
print((end - start) * 1000, (httpx_done - start) * 1000)
"""


def child_env(generated: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(generated)
    return env


def median_ms(code: str, generated: Path, runs: int) -> tuple[float, float]:
    """Median milliseconds the code reports (its total, and its httpx import)."""
    totals, httpx_times = [], []
    for _ in range(runs):
        result = subprocess.run([PYTHON, "-c", code], env=child_env(generated), capture_output=True, text=True, check=True)
        total, httpx_ms = map(float, result.stdout.split())
        totals.append(total)
        httpx_times.append(httpx_ms)
    return statistics.median(totals), statistics.median(httpx_times)


def import_ms(module: str, generated: Path, runs: int) -> float:
    code = f"import time\nstart = time.process_time()\nimport {module}\nprint((time.process_time() - start) * 1000, 0)"
    return median_ms(code, generated, runs)[0]


def one_call(spec: Any, area: str) -> tuple[str, str, dict[str, Any]] | None:
    """A read of ``area`` callable from the spec's examples alone (no rules, no side), and the
    environment it runs in (mock where KIS offers it there)."""
    for op in next(a for a in spec.areas if a.name == area).operations:
        if op.kind != "read" or op.rules or op.request_any or op.has_side:
            continue
        params = [field for field in op.parameters if field.required and not field.has_default]
        if any(field.example is None for field in params):
            continue
        arguments: dict[str, Any] = {field.py_name: field.example for field in params}
        if op.has_period and op.tr is not None:
            arguments["period"] = op.tr.periods[0]
        return ("mock" if "mock" in op.envs else "real"), op.name, arguments
    return None


def with_own_tables(spec_dir: Path) -> Path:
    """Each synthetic operation with its own copy of every code table it uses, as `kisgen import`
    drafts them (one table per API and field): the enums grow with the operations."""
    import yaml

    tables: dict[str, Any] = {}
    for path in sorted(spec_dir.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            tables.update(data.get("codes") or {})
    for path in sorted(spec_dir.glob("synthetic_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        own = data.setdefault("codes", {})
        for name, op in data["operations"].items():
            for field in (op.get("request") or {}).values():
                table = field.get("codes")
                if table in tables:
                    field["codes"] = f"{table}_{name}"
                    own[field["codes"]] = copy.deepcopy(tables[table])  # written out, not as a YAML alias
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return spec_dir


def measure(spec_dir: Path, work: Path, runs: int) -> dict[str, Any]:
    from kisgen.pipeline import load_spec

    spec = load_spec(spec_dir)
    root = project(work / "project")
    cache = work / "black-cache"
    env = dict(os.environ, KISGEN_CACHE_DIR=str(cache))
    generate = kisgen("--spec", str(spec_dir), "--root", str(root), "generate")
    start = time.perf_counter()
    subprocess.run(generate, env=env, check=True, capture_output=True)
    cold = time.perf_counter() - start
    shutil.rmtree(root / "generated")
    start = time.perf_counter()
    subprocess.run(generate, env=env, check=True, capture_output=True)
    warm = time.perf_counter() - start
    generated = root / "generated"
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(generated / "kis_client")], env=child_env(generated), check=True, stdout=subprocess.DEVNULL)
    package = generated / "kis_client"
    size = sum(path.stat().st_size for path in package.rglob("*.py"))
    lines = sum(path.read_text(encoding="utf-8").count("\n") for path in package.rglob("*.py"))
    calls = {area.name: call for area in spec.areas if area.name != "auth" and (call := one_call(spec, area.name)) is not None}
    per_area = {}
    httpx_ms = []
    for area, (account, name, arguments) in calls.items():
        total, httpx_part = median_ms(FIRST_CALL.format(calls=[(account, area, name, arguments)]), generated, runs)
        per_area[area] = total
        httpx_ms.append(httpx_part)
    every = [(account, area, name, arguments) for area, (account, name, arguments) in calls.items()]
    all_areas, _ = median_ms(FIRST_CALL.format(calls=every), generated, runs)
    return {
        "operations": len(spec.operations),
        "areas": len(spec.areas),
        "operations in the largest area": max(len(area.operations) for area in spec.areas),
        "generate cold s": round(cold, 2),
        "generate warm s": round(warm, 2),
        "package .py bytes": size,
        "package .py lines": lines,
        "import kis_client ms": round(import_ms("kis_client", generated, runs), 1),
        "import kis_client.client ms": round(import_ms("kis_client.client", generated, runs), 1),
        "import kis_client.enums ms": round(import_ms("kis_client.enums", generated, runs), 1),
        "code tables": len(spec.code_tables),
        "httpx import ms (included below)": round(statistics.median(httpx_ms), 1),
        "first call in one area ms, per area": {area: round(value, 1) for area, value in per_area.items()},
        "first call in one area ms, max": round(max(per_area.values()), 1),
        "one call in every area ms": round(all_areas, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, action="append", default=[], help="synthetic spec sizes (default 300)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--own-tables", action="store_true", help="give each synthetic operation its own code tables")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    results: dict[str, Any] = {}
    work = Path(tempfile.mkdtemp(prefix="kisgen-scale-"))
    try:
        results["spec/"] = measure(ROOT / "spec", work / "spec", args.runs)
        for size in args.operations or [300]:
            spec_dir = synthetic_spec(size, work / f"synthetic-{size}")
            if args.own_tables:
                with_own_tables(spec_dir)
            results[f"synthetic {size}" + (", own code tables" if args.own_tables else "")] = measure(spec_dir, work / f"synthetic-{size}", args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    assert BIN.is_dir()
    main()
