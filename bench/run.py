"""kisgen benchmarks, side by side with its peers; writes BENCHMARKS.md.

Run with `scripts/bench` (never part of the tests). Each measure alternates its contenders
round by round, warms up once, and reports the median of several runs (with their spread where
it is wide). Peers get the same input and do the same work: the same OpenAPI export, imports
with bytecode loading every operation, validation of the same rules, parsing the same page.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.realtime import MESSAGES as REALTIME_MESSAGES, RATE as REALTIME_RATE, TRIALS as REALTIME_TRIALS, WARMUP as REALTIME_WARMUP
from bench.suite import grow_spec, measure as measure_suite, operation_count, per_operation

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
# openapi-python-client runs ruff from PATH on what it writes; give it the venv's.
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


# ---------------------------------------------------------------------------------------------
# Measuring


def run_process(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed: {process.stderr.read().decode() if process.stderr else ''}")
    return elapsed, usage.ru_maxrss / 1024


def alternate(contenders: dict[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    """``runs`` measurements each, contenders interleaved round by round, after one warm-up each."""
    for measure in contenders.values():
        measure()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, measure in contenders.items():
            samples[name].append(measure())
    return samples


def spread(samples: list[float]) -> dict[str, Any]:
    return {"seconds": statistics.median(samples), "min": min(samples), "max": max(samples), "runs": len(samples)}


def per_call(contenders: dict[str, Callable[[], object]], repeat: int = 9) -> dict[str, float]:
    """Median seconds per call of each contender, timeit-style, contenders alternated: each round
    times one batch of every contender in turn, so a slow spell of a shared machine hits all."""
    timers = {name: timeit.Timer(function) for name, function in contenders.items()}
    numbers = {name: timer.autorange()[0] for name, timer in timers.items()}  # also the warm-up
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, timer in timers.items():
            samples[name].append(timer.timeit(numbers[name]) / numbers[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "CPU": f"{cpu} ({os.cpu_count()} cores)",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        **{name: version(name) for name in ("kisgen", "black", "jinja2", "jsonschema", "httpx", "pydantic", "starlette", "uvicorn", "websockets", "cryptography", "openapi-python-client")},
    }


# ---------------------------------------------------------------------------------------------
# Synthetic spec: spec/ grown to N operations by clones of its own (bench/suite.py)


def synthetic_spec(operations: int, target: Path) -> Path:
    """spec/ as it is, plus clones of its operations up to ``operations`` in all."""
    spec = target / "spec"
    shutil.copytree(ROOT / "spec", spec)
    grow_spec(spec, operations)
    return spec


# ---------------------------------------------------------------------------------------------
# The measures


def kisgen(*args: str) -> list[str]:
    return [str(BIN / "kisgen"), *args]


def project(root: Path) -> Path:
    """``root`` as a kisgen project (kisgen writes only into one): this checkout's spec and templates, linked."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("spec", "templates"):
        (root / name).symlink_to(ROOT / name, target_is_directory=True)
    return root


def bench_generate(spec: Path, work: Path, runs: int) -> dict[str, Any]:
    """kisgen generate, cold (empty black cache) and warm, vs openapi-python-client on kisgen's
    own OpenAPI export of the same spec; the three alternated round by round."""
    openapi = work / "openapi.json"
    subprocess.run(kisgen("--spec", str(spec), "export", "openapi", "-o", str(openapi)), check=True, stdout=subprocess.DEVNULL)
    warm_cache = Path(tempfile.mkdtemp(dir=work))
    names = ("kisgen generate, cold cache", "kisgen generate, warm cache", "openapi-python-client generate")
    peaks: dict[str, list[float]] = {name: [] for name in names}

    def ours(name: str, cache: Callable[[], Path]) -> Callable[[], float]:
        def measure() -> float:
            root = project(Path(tempfile.mkdtemp(dir=work)))
            env = dict(os.environ, KISGEN_CACHE_DIR=str(cache()))
            seconds, peak = run_process(kisgen("--spec", str(spec), "--root", str(root), "generate"), env=env)
            peaks[name].append(peak)
            shutil.rmtree(root)
            return seconds

        return measure

    def theirs() -> float:
        out = Path(tempfile.mkdtemp(dir=work)) / "client"
        seconds, peak = run_process(opc_generate(openapi, out))
        peaks[names[2]].append(peak)
        shutil.rmtree(out.parent)
        return seconds

    times = alternate(
        {
            names[0]: ours(names[0], lambda: Path(tempfile.mkdtemp(dir=work))),
            names[1]: ours(names[1], lambda: warm_cache),
            names[2]: theirs,
        },
        runs,
    )
    results: dict[str, Any] = {name: {**spread(times[name]), "peak_mib": max(peaks[name])} for name in times}
    results["operations"] = operation_count(spec)
    results["peer_output"] = peer_output(openapi, work)
    return results


def opc_generate(openapi: Path, out: Path) -> list[str]:
    return [str(BIN / "openapi-python-client"), "generate", "--path", str(openapi), "--output-path", str(out), "--overwrite"]


# Imports every module of a package, each one on its own, and prints what failed (JSON).
IMPORT_ALL = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
failed = {}
names = [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".", onerror=lambda name: None)]
for name in names:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = type(error).__name__ + ": " + str(error).splitlines()[0]
print(json.dumps({"modules": len(names), "failed": failed}))
"""


def peer_output(openapi: Path, work: Path) -> dict[str, Any]:
    """What openapi-python-client made of the export: the endpoints it wrote (of the export's
    operations) and whether its modules import."""
    out = Path(tempfile.mkdtemp(dir=work)) / "client"
    done = subprocess.run(opc_generate(openapi, out), capture_output=True, text=True, check=True)
    document = json.loads(openapi.read_text(encoding="utf-8"))
    operations = sum(len(item) for item in document["paths"].values())
    dropped = re.findall(r"WARNING parsing (\w+ \S+) within \S+\. Endpoint will not be generated", done.stdout + done.stderr)
    package = next(path for path in out.iterdir() if (path / "__init__.py").exists())
    endpoints = sum(1 for path in (package / "api").rglob("*.py") if path.name != "__init__.py")
    imported = subprocess.run([PYTHON, "-c", IMPORT_ALL, package.name], cwd=out, capture_output=True, text=True, check=True)
    report = json.loads(imported.stdout)
    shutil.rmtree(out.parent)
    first_error = sorted(set(report["failed"].values()))[:1]
    return {"operations": operations, "endpoints": endpoints, "dropped": dropped, "modules": report["modules"], "failed_modules": len(report["failed"]), "first_error": first_error[0] if first_error else None}


def bench_check(work: Path, runs: int) -> dict[str, Any]:
    """check on an up-to-date tree vs generate writing a whole tree (both with a warm cache)."""
    root = project(work / "check-root")
    shutil.copytree(ROOT / "generated", root / "generated")
    if (ROOT / "docs").exists():
        shutil.copytree(ROOT / "docs", root / "docs")

    def generate() -> float:
        fresh = project(Path(tempfile.mkdtemp(dir=work)))
        seconds = run_process(kisgen("--root", str(fresh), "generate"))[0]
        shutil.rmtree(fresh)
        return seconds

    samples = alternate({"kisgen check": lambda: run_process(kisgen("--root", str(root), "check"))[0], "kisgen generate": generate}, runs)
    return {name: statistics.median(values) for name, values in samples.items()}


# Imports every module of a package (as IMPORT_ALL, without the error handling): the same code
# times both clients, so both load every operation. __import__, as `-X importtime` times only
# imports made by the import statement's machinery (importlib.import_module's are not shown).
IMPORT_EVERY = "import pkgutil, sys; p = __import__(sys.argv[1]); [__import__(m.name) for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.')]"


@dataclass(frozen=True)
class ImportTimes:
    """What ``python -X importtime`` reports, in ms per module."""

    cumulative: dict[str, float]
    own: dict[str, float]  # the module's own code, without the modules it imports
    top: list[str]  # the top-level imports (the interpreter's own start-up among them)


def importtime(code: list[str], env: dict[str, str]) -> ImportTimes:
    result = subprocess.run([PYTHON, "-X", "importtime", *code], env=env, capture_output=True, text=True, check=True)
    times = ImportTimes({}, {}, [])
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        module = parts[2].strip()
        times.cumulative[module] = int(parts[1]) / 1000
        times.own[module] = int(parts[0]) / 1000
        if not parts[2].startswith("  "):  # top level: one space before the name
            times.top.append(module)
    return times


def bytecode_env(path: Path) -> dict[str, str]:
    """The environment of an installed package's user: bytecode read (and written), ``path`` first."""
    compileall.compile_dir(path, quiet=1)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env["PYTHONPATH"] = str(path)
    return env


def kis_client_part(module: str) -> str:
    """Which part of the generated package ``module`` is (its own import time is counted there)."""
    names = module.split(".")
    if names[-1] == "enums":
        return "code tables (enums.py, <area>/enums.py)"
    if len(names) == 3 and names[2] == "api":
        return "area clients (<area>/api.py)"
    if len(names) == 3:
        return "operation modules (<area>/<operation>.py)"
    return "the rest (client.py, tr_ids.py, errors.py, the runtime, area packages)"


def import_ms(module: str, path: Path, part_of: Callable[[str], str] | None = None, runs: int = 15) -> dict[str, float]:
    """Median ms to import every module of ``module`` (found on ``path``) above a bare
    interpreter, with bytecode (compiled first, as an installed package is), under ''; and with
    ``part_of``, the median of the package's modules' own ms summed by part (what they import
    from elsewhere, the standard library's modules, is in none)."""
    env = bytecode_env(path)
    bare = set(importtime(["-c", "pass"], env).cumulative)
    samples: dict[str, list[float]] = {"": []}
    for _ in range(runs):
        times = importtime(["-c", IMPORT_EVERY, module], env)
        samples[""].append(sum(times.cumulative[name] for name in times.top if name not in bare))
        if part_of is not None:
            parts: dict[str, float] = {}
            for name, own in times.own.items():
                if name == module or name.startswith(module + "."):
                    parts[part_of(name)] = parts.get(part_of(name), 0.0) + own
            for part, ms in parts.items():
                samples.setdefault(part, []).append(ms)
    return {name: statistics.median(values) for name, values in samples.items()}


def ascii_titles(document: dict[str, Any]) -> dict[str, Any]:
    """The export without schema titles: openapi-python-client then names classes after the
    (ASCII) wire names, and its client imports."""
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: strip(value) for key, value in node.items() if key != "title"}
        if isinstance(node, list):
            return [strip(value) for value in node]
        return node

    return {**document, "components": strip(document["components"])}


def bench_import(work: Path, sizes: tuple[int, ...]) -> dict[str, Any]:
    """Both clients imported with bytecode, every operation loaded: kis_client at spec/ and at
    spec/ grown to each of ``sizes`` (the cost per operation), and openapi-python-client's client
    for the same export."""
    clients: dict[str, Any] = {}
    for size in (0, *sizes):
        if size:
            root = project(work / f"import-{size}")
            subprocess.run(kisgen("--spec", str(synthetic_spec(size, work / f"import-spec-{size}")), "--root", str(root), "generate"), check=True, stdout=subprocess.DEVNULL)
            generated, spec = root / "generated", work / f"import-spec-{size}" / "spec"
        else:
            generated, spec = ROOT / "generated", ROOT / "spec"
        timed = import_ms("kis_client", generated, kis_client_part)
        clients[str(operation_count(spec))] = {"ms": timed[""], "parts": {name: ms for name, ms in timed.items() if name}}
    counts = sorted(int(count) for count in clients)
    slope = (clients[str(counts[-1])]["ms"] - clients[str(counts[0])]["ms"]) / (counts[-1] - counts[0]) if len(counts) > 1 else None
    openapi = work / "openapi-import.json"
    subprocess.run(kisgen("export", "openapi", "-o", str(openapi)), check=True, stdout=subprocess.DEVNULL)
    renamed = work / "openapi-import-ascii.json"
    renamed.write_text(json.dumps(ascii_titles(json.loads(openapi.read_text(encoding="utf-8"))), ensure_ascii=False), encoding="utf-8")
    out = work / "opc-client"
    subprocess.run(opc_generate(renamed, out), check=True, capture_output=True)
    package = next(p.name for p in out.iterdir() if (p / "__init__.py").exists())
    facts = peer_output(renamed, work)
    assert facts["failed_modules"] == 0, facts  # with ASCII names every module imports
    theirs = import_ms(package, out)[""]
    return {
        "kis_client": clients,
        "kis_client_ms_per_operation": slope,
        "kis_client_package_ms": import_ms_package(),
        "peer": {"package": package, "ms": theirs, "endpoints": facts["endpoints"], "operations": facts["operations"], "ms_per_endpoint": theirs / facts["endpoints"]},
    }


def import_ms_package(runs: int = 15) -> float:
    """``import kis_client`` alone: the package loads its names on first use."""
    env = bytecode_env(ROOT / "generated")
    return statistics.median(importtime(["-c", "import kis_client"], env).cumulative["kis_client"] for _ in range(runs))


def bench_validate() -> dict[str, float]:
    """One order-cash body checked like for like: kis_client builds the request and validates it
    (fields and all nine rules of domestic_stock.order_cash) against a pydantic model of the same
    fields and the same nine rules; then the public path, prepare_*, against the same steps with
    pydantic (defaults, checks, TR_ID, wire body). jsonschema on the generated schema for scale."""
    import jsonschema

    from bench.peers import OrderCash, prepare_order_cash
    from kis_client._calls import CallContext
    from kis_client.domestic_stock.order_cash import DomesticStockOrderCashRequest, prepare_domestic_stock_order_cash, validate_domestic_stock_order_cash

    good = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_DVSN": "00", "ORD_QTY": "1", "ORD_UNPR": "55000", "SLL_TYPE": "", "EXCG_ID_DVSN_CD": "KRX", "CNDT_PRIC": ""}
    bad = {**good, "PDNO": "00593", "ORD_QTY": "x", "EXCG_ID_DVSN_CD": ""}
    def python_names(body: dict[str, str]) -> dict[str, str]:
        return {key.lower(): value for key, value in body.items()}

    def ours(body: dict[str, str], side: str = "buy") -> list[Any]:
        return build_and_validate(python_names(body), side)

    def build_and_validate(arguments: dict[str, str], side: str = "buy") -> list[Any]:
        return validate_domestic_stock_order_cash(DomesticStockOrderCashRequest(**arguments), "mock", side)

    def theirs(body: dict[str, str], side: str = "buy") -> int:
        try:
            OrderCash.model_validate(body, context={"env": "mock", "side": side})
        except Exception as error:  # pydantic.ValidationError
            return len(error.errors())  # type: ignore[attr-defined]
        return 0

    # The peer is equal: the same verdict on a valid body, on three bad fields, and on each rule.
    rule_breakers = [
        ({"ORD_DVSN": "01"}, "buy"), ({"ORD_UNPR": "0"}, "buy"), ({"SLL_TYPE": "01"}, "buy"), ({"SLL_TYPE": ""}, "sell"), ({"ORD_DVSN": "22"}, "buy"),
        ({"CNDT_PRIC": "5"}, "buy"), ({"EXCG_ID_DVSN_CD": "NXT", "ORD_DVSN": "02"}, "buy"), ({"EXCG_ID_DVSN_CD": "SOR", "ORD_DVSN": "02"}, "buy"), ({"EXCG_ID_DVSN_CD": "NXT"}, "buy"),
    ]
    assert ours(good) == [] and theirs(good) == 0 and ours({**good, "SLL_TYPE": "01"}, "sell") == [] and theirs({**good, "SLL_TYPE": "01"}, "sell") == 0
    assert len(ours(bad)) == theirs(bad) == 3
    for change, side in rule_breakers:
        assert ours({**good, **change}, side) and theirs({**good, **change}, side), change
    schema = json.loads((ROOT / "generated/kis_client/schemas/domestic_stock.order_cash.mock.buy.request.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert len(list(validator.iter_errors(bad))) >= 3  # it also repeats the mock-only KRX rule
    ctx = CallContext("mock", "12345678", "01")
    order: dict[str, Any] = {"side": "buy", "pdno": "005930", "ord_dvsn": "00", "ord_qty": "1", "ord_unpr": "55000"}
    assert prepare_domestic_stock_order_cash(ctx, **order).params == prepare_order_cash("mock", "12345678-01", **order)[1]

    def ours_prepared() -> None:
        prepare_domestic_stock_order_cash(ctx, **order)

    def theirs_prepared() -> None:
        prepare_order_cash("mock", "12345678-01", **order)

    good_arguments, bad_arguments = python_names(good), python_names(bad)  # each side's input ready, as pydantic's is
    return per_call(
        {
            "kis_client: build + validate (fields, 9 rules), valid": lambda: build_and_validate(good_arguments),
            "pydantic v2: the same fields and 9 rules, valid": lambda: theirs(good),
            "kis_client: build + validate, 3 bad fields": lambda: build_and_validate(bad_arguments),
            "pydantic v2: the same, 3 bad fields": lambda: theirs(bad),
            "kis_client: prepare_domestic_stock_order_cash (what order_cash runs), valid": ours_prepared,
            "pydantic v2: the same steps (defaults, checks, TR_ID, body), valid": theirs_prepared,
            "jsonschema on the generated schema, valid": lambda: list(validator.iter_errors(good)),
            "jsonschema on the generated schema, 3 bad fields": lambda: list(validator.iter_errors(bad)),
        }
    )


def balance_page(rows: int = 50) -> dict[str, Any]:
    row = {
        "pdno": "009150", "prdt_name": "삼성전기", "trad_dvsn_name": "현금", "bfdy_buy_qty": "0", "bfdy_sll_qty": "0",
        "thdt_buyqty": "0", "thdt_sll_qty": "0", "hldg_qty": "1657", "ord_psbl_qty": "1657", "pchs_avg_pric": "135440.2517",
        "pchs_amt": "224424497", "prpr": "140500", "evlu_amt": "232808500", "evlu_pfls_amt": "8384003", "evlu_pfls_rt": "3.73",
        "evlu_erng_rt": "0.00000000", "loan_dt": "20211223", "loan_amt": "0", "stln_slng_chgs": "0", "expd_dt": "",
        "fltt_rt": "-100.00000000", "bfdy_cprs_icdc": "-184500", "item_mgna_rt_name": "", "grta_rt_name": "",
        "sbst_pric": "140220", "stck_loan_unpr": "123000.0000",
    }
    output1 = [dict(row, pdno=f"{index:06d}") for index in range(rows)]
    return {"rt_cd": "0", "msg_cd": "KIOK0510", "msg1": "조회가 완료되었습니다", "output1": output1, "output2": [{"dnca_tot_amt": "346455"}], "ctx_area_fk100": "", "ctx_area_nk100": ""}


def bench_parse() -> dict[str, float]:
    from bench.peers import HoldingsPage
    from kis_client._parsing import parse_rows
    from kis_client.domestic_stock.inquire_balance import HOLDINGS_FIELDS as FIELDS
    from kis_client.domestic_stock.inquire_balance import _parse_holdings as parse_row

    page = balance_page()
    rows = parse_rows("domestic_stock.inquire_balance", "output1", page["output1"], parse_row, FIELDS, "pdno", page)
    assert len(rows) == 50 and rows[0].pchs_avg_pric == HoldingsPage.model_validate(page).output1[0].pchs_avg_pric
    return per_call(
        {
            "kis_client, 50 typed rows": lambda: parse_rows("domestic_stock.inquire_balance", "output1", page["output1"], parse_row, FIELDS, "pdno", page),
            "pydantic v2, 50 typed rows": lambda: HoldingsPage.model_validate(page),
        }
    )


# ---------------------------------------------------------------------------------------------
# Round trips: the sandbox vs Prism mocking kisgen's OpenAPI export


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(ready: Callable[[], bool], deadline: float) -> float:
    """Seconds until ``ready()`` holds: the server answered a request from its loaded spec."""
    start = time.perf_counter()
    while time.perf_counter() - start < deadline:
        if ready():
            return time.perf_counter() - start
        time.sleep(0.005)
    raise RuntimeError(f"the server was not ready after {deadline}s")


@contextlib.contextmanager
def server(cmd: list[str], ready: Callable[[], bool], deadline: float = 60.0) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """A server process and its start-up time: from the start of the process to its first answer
    to an operation of the spec (Prism listens before it has read the document)."""
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        started = wait_ready(ready, deadline)
        yield process, started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_roundtrips(work: Path, requests: int, runs: int) -> dict[str, Any]:
    import httpx

    query = {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}
    headers = {"content-type": "application/json; charset=utf-8", "authorization": "Bearer x", "appkey": "k" * 36, "appsecret": "s" * 180, "tr_id": "FHKST01010100", "custtype": "P"}
    path = "/uapi/domestic-stock/v1/quotations/inquire-price"

    def sync_rate(base: str, hdrs: dict[str, str]) -> float:
        with httpx.Client(base_url=base, headers=hdrs) as client:
            client.get(path, params=query).raise_for_status()
            start = time.perf_counter()
            for _ in range(requests):
                client.get(path, params=query).raise_for_status()
            return requests / (time.perf_counter() - start)

    async def async_rate(base: str, hdrs: dict[str, str]) -> float:
        async with httpx.AsyncClient(base_url=base, headers=hdrs, limits=httpx.Limits(max_connections=16)) as client:
            semaphore = asyncio.Semaphore(16)

            async def one() -> None:
                async with semaphore:
                    (await client.get(path, params=query)).raise_for_status()

            await one()
            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(requests)))
            return requests / (time.perf_counter() - start)

    openapi = work / "openapi-prism.json"
    subprocess.run(kisgen("export", "openapi", "-o", str(openapi)), check=True, stdout=subprocess.DEVNULL)
    prism = ROOT / "bench/node_modules/.bin/prism"
    ours_port, prism_port = free_port(), free_port()
    ours_cmd = kisgen("sandbox", "--port", str(ours_port), "--env", "real", "--rate-limit", "0", "--log-level", "warning")
    prism_cmd = [str(prism), "mock", str(openapi), "--port", str(prism_port), "--host", "127.0.0.1"]
    ours_base, prism_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{prism_port}"
    token_request = {"grant_type": "client_credentials", "appkey": headers["appkey"], "appsecret": headers["appsecret"]}

    def answers(send: Callable[[], httpx.Response]) -> bool:
        try:
            return send().status_code == 200
        except httpx.TransportError:  # not listening yet
            return False

    def ours_ready() -> bool:
        return answers(lambda: httpx.post(ours_base + "/oauth2/tokenP", json=token_request, timeout=1.0))

    def prism_ready() -> bool:
        return answers(lambda: httpx.get(prism_base + path, params=query, headers=headers, timeout=1.0))

    # One after the other: each starts on an idle machine.
    with server(ours_cmd, ours_ready) as (ours_process, ours_start), server(prism_cmd, prism_ready) as (prism_process, prism_start):
        token = httpx.post(ours_base + "/oauth2/tokenP", json=token_request).json()["access_token"]
        servers = {
            "kisgen sandbox": (ours_process.pid, ours_base, dict(headers, authorization=f"Bearer {token}")),
            "Prism mock": (prism_process.pid, prism_base, headers),
        }
        # CPU per request, server and client: with 16 in flight the client's share shows which
        # side sets the rate.
        cpu: dict[str, list[tuple[float, float]]] = {}

        def contender(name: str, mode: str) -> Callable[[], float]:
            pid, base, hdrs = servers[name]

            def measure() -> float:
                server_before, client_before = cpu_seconds(pid), time.process_time()
                rate = sync_rate(base, hdrs) if mode == "sync" else asyncio.run(async_rate(base, hdrs))
                cpu.setdefault(f"{name} {mode}", []).append(((cpu_seconds(pid) - server_before) / requests, (time.process_time() - client_before) / requests))
                return rate

            return measure

        rates = {name: statistics.median(values) for name, values in alternate({f"{name} {mode}": contender(name, mode) for mode in ("sync", "async") for name in servers}, runs).items()}
        results: dict[str, Any] = {}
        for name, (pid, _base, _hdrs) in servers.items():
            results[name] = {
                "start_s": ours_start if name == "kisgen sandbox" else prism_start,
                "sync_rps": rates[f"{name} sync"],
                "async16_rps": rates[f"{name} async"],
                # [1:]: alternate()'s warm-up run comes first
                "async16_server_cpu_s": statistics.median(server for server, _client in cpu[f"{name} async"][1:]),
                "async16_client_cpu_s": statistics.median(client for _server, client in cpu[f"{name} async"][1:]),
                "peak_mib": peak_rss_mib(pid),
            }
    return results


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# Report


def fmt_s(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


SECTIONS = ("generate", "synthetic", "check", "import", "validate", "parse", "roundtrips", "suite", "realtime", "scale")
SYNTHETIC_SIZES = (75, 150, 300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="rounds of each alternated measure")
    parser.add_argument("--cold-runs", type=int, default=9, help="rounds of generation on spec/, whose cold time varies with how black's workers split the work")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="measure only these; the others are kept from bench/results.json")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    stored = ROOT / "bench/results.json"
    previous = json.loads(stored.read_text(encoding="utf-8")) if stored.exists() and set(args.sections) != set(SECTIONS) else {}
    results: dict[str, Any] = {key: value for key, value in previous.items() if key in SECTIONS}
    results["machine"] = machine()
    results["measured"] = {**previous.get("measured", {}), **{section: time.strftime("%Y-%m-%d") for section in args.sections}}
    work = Path(tempfile.mkdtemp(prefix="kisgen-bench-"))
    steps: dict[str, Callable[[], Any]] = {
        "generate": lambda: bench_generate(ROOT / "spec", work, args.cold_runs),
        "synthetic": lambda: {str(size): bench_generate(synthetic_spec(size, work / f"synthetic-{size}"), work, args.runs) for size in SYNTHETIC_SIZES},
        "check": lambda: bench_check(work, args.runs),
        "import": lambda: bench_import(work, (150, 300)),
        "validate": bench_validate,
        "parse": bench_parse,
        "roundtrips": lambda: bench_roundtrips(work, args.requests, max(3, args.runs // 2)),
        "suite": lambda: bench_suite(work),
        "realtime": bench_realtime,
        "scale": lambda: bench_scale(work, args.runs),
    }
    try:
        for number, section in enumerate(SECTIONS, 1):
            if section in args.sections:
                print(f"{number}. {section}", flush=True)
                results[section] = steps[section]()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.output).write_text(report(results), encoding="utf-8")
    stored.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


def bench_suite(work: Path) -> dict[str, Any]:
    """The test suite on spec/ and on spec/ grown to 300 operations (bench/suite.py)."""
    results = measure_suite([0, 300], work)
    results["per_operation"] = per_operation(results)
    return results


# The suite before issue 18, kept here because that suite no longer exists: bench/suite.py run
# from a clone of main at 9649d09 with that clone's own .venv (its generator and tests), on
# spec/ and on spec/ grown to 100 operations (300 would take it most of an hour), on a machine
# busy with other work (load 5-7 on its 2 cores: wall time about twice the CPU time). At 100
# operations 46 of its tests failed on the clones (a sandbox answer with a blank row key, fixed
# since), which does not change what they cost. Each run: operations, tests, pytest wall and CPU
# seconds, validate + check + mypy seconds.
SUITE_BEFORE: dict[str, Any] = {
    "revision": "9649d09",
    "measured": "2026-12-06",
    "runs": [
        {"operations": 46, "tests": 9795, "wall_s": 1230.9, "cpu_s": 488.4, "steps_s": 36.6},
        {"operations": 100, "tests": 20342, "wall_s": 1764.2, "cpu_s": 952.4, "steps_s": 61.0},
    ],
}
SUITE_NOTES = """\
What each operation costs the suite, and what it does not:

- Per operation (and its variants): one sandbox round trip per TR_ID cell (test_e2e_operations;
  each exchange goes through once, not in every operation), one routing test per client method,
  sync and async, and one valid call (test_client_bad_input), the request and wire checks of
  test_requests and test_client_http (in-process transport, no sockets), one model and one
  straight-line parse per output (test_responses), field-by-field validator/schema agreement for
  each variant of an operation with rules.
- Fixed, whatever the spec's size: one wrong value per kind of check and parameter shape
  (test_client_bad_input); parser agreement on a covering set of outputs, one per field shape
  (test_responses); validator/schema agreement per distinct field declaration; the generator's
  own tests (load, validate, model, diff, render, format, write, check, the broken specs of
  tests/bad_specs run in-process) on the frozen fixture spec; the runtime's fault tests.
- Property tests are bounded: a fixed number of examples each, on sets that do not grow with
  the spec except by operations with rules (one combination test per such operation).
- spec/ is loaded and rendered once per run; the black chunks of other specs are cached apart."""

# What each optimisation bought: measured on this machine with this script's methods, before
# (commit e318b2f) and after. Kept here because the "before" code no longer exists.
OPTIMISATIONS = """\
| optimisation | measure | before | after |
|---|---|---|---|
| black once per top-level chunk, cached by content; cold misses formatted on both cores | `kisgen generate` on spec/ | 4.63 s | 2.4 s cold, 0.31 s warm |
| libyaml composes clean spec files (PyYAML only for exact error lines) | spec load | 0.55 s | 0.05 s |
| templates' bytecode cached; the spec schema is checked by the tests, not on every run | warm generate | 0.58 s | 0.32 s |
| a file whose exact bytes passed the schema is not validated again; jsonschema imported lazily | warm generate | 0.32 s | 0.19 s |
| rows filled in a writable twin, then switched to the frozen class (a frozen dataclass's `__init__` costs more than the parse) | 50-row page vs pydantic | 1.40× (319 µs) | 0.82× (186 µs) |
| scalar parsers try the common case first; dates and times via `fromisoformat` | (included above) | | |
| inlined conversions in the generated parsers (tried, reverted: no faster than the tuned calls, harder to read) | 50-row page | 0.83× | 0.84× |
| a parser reads a row as KIS sends it in straight lines (`int(value, 10)`, `"" + value`, `row[key]`, extras only when `len(row)` says so); any other row goes to `parse_carefully` | 50-row page vs pydantic | 0.83× (192 µs) | 0.61× (143 µs) |
| the same, plus one loop per page instead of a call per row, and decimals and dates inline with a NaN check (a prototype outside the generator, not kept: much more generated code, and still above half) | 50-row page vs pydantic | 0.59× | 0.52× |
| `asyncio` and `httpx` imported where used | `import kis_client.client` | 146 ms | 131 ms |
| `kis_client/__init__.py` loads names on first use | `import kis_client` | (from the start) | 3.3 ms |
| the same spec verdict cache, at sandbox start | sandbox start-up | 311 ms | about 230 ms |
| chunks without trailing blank lines, spec literals spelled as black spells them: black makes one pass instead of two on a chunk already in its style | generated lines; cold generate | 15,542; 2.4 s | 15,036; 2.5 s (the large chunks still need black's splitting, so no measurable gain) |
| sniffio installed with the client: httpcore imports it on every async lock, and a missing module is searched for on `sys.path` each time (encode/httpcore#1103) | async round trips to the sandbox | 730 req/s | 960 req/s |
| Prism measured after a warm-up and alternated with the sandbox, both servers up at once (the earlier figure was Prism's cold JIT) | Prism, sync | 675 req/s | 1,112 req/s |
| sandbox quotes: cached series bisected by date, 52-week extremes remembered, decimal quanta cached | sandbox CPU per quote | 0.38 ms | 0.30 ms |
| httptools and uvloop under uvicorn (the sandbox extra) | sandbox CPU per quote; sync req/s | 0.30 ms; 1,547 | 0.21 ms; 1,809 |
| the sync real-time session hands each record to the caller's thread through a thread-safe queue, not a coroutine run in its loop per record | sync session, end to end at 1,000/s: median | 1.2 ms | 0.40 ms |
"""

NOTES = """\
## Reading the figures

- These figures (2026-12-06) come from a 2-core Intel Xeon shared with other work (a load of 1
  to 7 while they ran; the cold generations' spreads show it); the earlier ones in this file's
  history, from a quiet AMD EPYC, were up to half these. Ratios between the contenders of one
  measure, alternated round by round, hold better than the absolute times.
- Generation is bound by black: a cold run (no cached chunk) has black format about 15,000
  lines, twice over for every chunk it changes, which costs about 4 s of CPU on the two cores;
  openapi-python-client formats with ruff. Cold, kisgen takes 4–8× openapi-python-client's
  time here (2.8–3.9× on the quiet machine); warm (every chunk cached, as in CI's `kisgen check`
  and after most spec edits) a quarter to a third. Both are linear in the number of operations.
  The project formats generated code with black by design, so goals 1 and 2 are met warm and
  not cold.
- `check` and `generate` in section 3 use the default cache directory; a warm run reads the
  whole black cache file, so a cache full of other specs' chunks costs more than section 1's
  cache of this spec alone (the cache keeps at most 1,500 chunks for that reason).
- Validation like for like is slower than pydantic's compiled validators: building and checking
  the request takes about 1.4× pydantic's time, the public path (`prepare_*`) about 1.1×; the
  goal (at most pydantic's time) is not met. The checks are plain Python comparisons, one per
  field and rule; what is left is the interpreter's cost per comparison and per call.
- Parsing is at about 0.6× pydantic, not 0.5×. CPython's own conversions set the floor: `int()`
  of a digit string takes about 50 ns and `Decimal()` about 100 ns, so this page's 1,300 values
  cost about 70 µs before a row is built, and each row is a frozen, slotted dataclass with one
  store per field. pydantic spends its time in the per-field `BeforeValidator` that turns KIS's
  `""` into `None`. Lazy parsing would win the benchmark but move errors from the parse to
  attribute access, so it was not done.
- Importing every operation costs a little more with one module per operation (issue 18): at
  46 operations, alternated on an idle machine, 153 ms before (main 9649d09: requests.py and
  responses.py) and 173 ms after. A bot no longer pays it: the package loads an area's client
  when the client first touches it, and an operation's module on its first call.
- Splitting responses.py into one module per operation (issue 18) kept the parse as fast, as
  the issue asked (at most 10% slower): before (main 9649d09) and after, each in its own
  checkout, alternated over 5 fresh processes, the best 50-row page took 157.5 µs before and
  154.2 µs after; this section's median ratio to pydantic, alternated over 9 processes, was
  0.62× before and 0.64× after.
- Round trips: synchronously the sandbox does 1.6–1.7× Prism's rate while keeping its account
  state. With 16 requests in flight the one httpx async client is the bottleneck for both
  servers: it spends more CPU per request (its pool checks every connection on each request)
  than either server, so both are served at the client's pace and the async goal is not met.
  The server CPU columns show the sandbox needing less than half of Prism's CPU per request;
  with two cores there is none left for more client processes.
- openapi-python-client skips some of kisgen's exported request schemas (enums that include
  ""), so its client for the same spec is smaller than kisgen's.
- Real-time records are read when asked, unlike REST rows: a record is a tuple of KIS's values,
  one slice of the frame's split, and each property converts its value on access. A tick
  program reads a few of a tick's 46 fields, so decoding costs less than the naive dict (which
  has no types at all), 2–3×. Reading all 46 fields converts 46 values (whole numbers,
  decimals, times) on top, which puts it below the naive dict's rate: the conversions are the
  cost, not the record. A value that is not its kind raises RecordValueError naming the TR and
  field when read, and the rest of the record still reads.
- End to end: the sandbox's write to the record in the program's hands is about 0.3 ms at the
  median. The 99th percentile is set by the machine (two cores shared with other work; the load
  average is shown): the sandbox, the session's loop and the program take turns on them.
"""


RATE_SHOWN = f"{REALTIME_RATE:,} frames a second (one record each, {REALTIME_MESSAGES:,} measured after {REALTIME_WARMUP})"


def fmt_spread(data: dict[str, Any]) -> str:
    return f"{fmt_s(data['seconds'])} ({fmt_s(data['min'])}–{fmt_s(data['max'])}, {data['runs']} runs)"


def peer_note(label: str, facts: dict[str, Any]) -> str:
    imports = "imports" if not facts["failed_modules"] else f"does not import: {facts['failed_modules']} of its {facts['modules']} modules fail ({facts['first_error']})"
    dropped = f", it drops {', '.join(f'`{item}`' for item in facts['dropped'])}" if facts["dropped"] else ""
    return f"- {label}: openapi-python-client wrote {facts['endpoints']} of the {facts['operations']} operations{dropped}; its client {imports}."


def report(r: dict[str, Any]) -> str:
    lines = ["# Benchmarks", "", "Written by `scripts/bench` (bench/run.py). Every figure is a median after a warm-up, the contenders of a measure alternated round by round; wide spreads are shown as (min–max, runs)."]
    if len(set(r["measured"].values())) > 1:
        lines += ["", "Measured on: " + ", ".join(f"{section} {day}" for section, day in r["measured"].items()) + "."]
    lines += ["", "## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in r["machine"].items()]
    for section, write in (("generate", generation_section), ("check", check_section), ("import", import_section), ("validate", validate_section), ("parse", parse_section), ("roundtrips", roundtrips_section), ("suite", suite_section), ("realtime", realtime_section), ("scale", scale_section)):
        if section in r:
            lines += write(r) if section == "generate" else write(r[section])
    lines += ["", "## What each optimisation bought", "", OPTIMISATIONS, NOTES]
    return "\n".join(lines).rstrip("\n") + "\n"


def generation_section(r: dict[str, Any]) -> list[str]:
    def gen_rows(label: str, data: dict[str, Any]) -> list[str]:
        cold, warm, theirs = (data[name] for name in ("kisgen generate, cold cache", "kisgen generate, warm cache", "openapi-python-client generate"))
        cells = [f"{fmt_spread(cold)}, {cold['peak_mib']:.0f} MiB", f"{fmt_s(warm['seconds'])} ({warm['peak_mib']:.0f} MiB)", f"{fmt_s(theirs['seconds'])} ({theirs['peak_mib']:.0f} MiB)"]
        ratios = f"{cold['seconds'] / theirs['seconds']:.2f} / {warm['seconds'] / theirs['seconds']:.2f}"
        return [f"| {label} | {' | '.join(cells)} | {ratios} |"]

    synthetic = list(r.get("synthetic", {}).values())
    lines = ["", "## 1–2. Generation (wall time, peak RSS of the main process)", ""]
    lines += ["Cold: an empty black cache (a fresh machine, or every module changed). Warm: the cache holds every chunk (`check` in CI, or a regenerate after an unrelated edit). The synthetic specs are spec/ grown by clones of its own operations (bench/suite.py). openapi-python-client generates from kisgen's OpenAPI export of the same spec.", ""]
    lines += ["| spec | kisgen, cold (min–max) | kisgen, warm | openapi-python-client | kisgen ÷ openapi-python-client, cold / warm (goal ≤ 1/3 on spec/, ≤ 1/2 on 300) |", "|---|---|---|---|---|"]
    lines += gen_rows(f"spec/ ({r['generate']['operations']} operations)", r["generate"])
    for data in synthetic:
        lines += gen_rows(f"synthetic, {data['operations']} operations", data)
    lines += ["", "What openapi-python-client's figures are of:", "", peer_note("spec/", r["generate"]["peer_output"])]
    lines += [peer_note(f"{data['operations']} operations", data["peer_output"]) for data in synthetic]
    return lines


def check_section(check: dict[str, Any]) -> list[str]:
    return ["", "## 3. `kisgen check` vs `kisgen generate` (spec/)", "", f"- check: {fmt_s(check['kisgen check'])}; generate: {fmt_s(check['kisgen generate'])} (goal: check faster)"]


def import_section(imports: dict[str, Any]) -> list[str]:
    lines = ["", "## 4. Importing every operation (ms above a bare interpreter, `-X importtime`)", ""]
    lines += ["Both clients with bytecode (compiled first, as an installed package is), and both loading every operation: the same code imports every module of each package.", ""]
    lines += ["| client | operations | ms | ms per operation |", "|---|---|---|---|"]
    for count, data in imports["kis_client"].items():
        lines.append(f"| kis_client | {count} | {data['ms']:.1f} | {data['ms'] / int(count):.2f} |")
    peer = imports["peer"]
    lines.append(f"| openapi-python-client ¹ | {peer['endpoints']} | {peer['ms']:.1f} | {peer['ms_per_endpoint']:.2f} |")
    largest = max(imports["kis_client"], key=int)
    parts = imports["kis_client"][largest]["parts"]
    shares = ", ".join(f"{name} {ms:.0f} ms" for name, ms in sorted(parts.items(), key=lambda item: -item[1]))
    lines += ["", f"- Each operation adds {imports['kis_client_ms_per_operation']:.2f} ms to kis_client's import (the slope between the smallest and the largest spec). At {largest} operations, the package's own code by part: {shares}; the rest of the figure is the standard library's modules they import."]
    lines += ["- A bot loads far less: an area's client and then only the operations it calls (each method imports its operation's module on first use)."]
    lines += [f"- `import kis_client` alone: {imports['kis_client_package_ms']:.1f} ms (the package loads its names on first use)."]
    lines += ["- ¹ Its client for kisgen's export does not import (section 1–2), so this row is its client for the same export with the schemas' `title`s removed: it then names classes after the wire names, and every module imports. It includes httpx, which its modules import; kis_client imports httpx when a client is made."]
    return lines


def validate_section(validate: dict[str, float]) -> list[str]:
    lines = ["", "## 5. Validating one order-cash body (goal: at most pydantic's time)", ""]
    lines += ["Like for like: both build the request from its nine fields and check every field and all nine rules of `domestic_stock.order_cash` (bench/peers.py; the bench first checks that both give the same verdict on a valid body, on three bad fields and on each rule). Then the public path, `prepare_*` (defaults, checks, TR_ID, wire body: what `client.domestic_stock.order_cash` runs before sending), against the same steps with pydantic.", ""]
    lines += ["| contender | per call |", "|---|---|"]
    return lines + [f"| {name} | {fmt_s(value)} |" for name, value in validate.items()]


def parse_section(parse: dict[str, float]) -> list[str]:
    lines = ["", "## 6. Parsing a 50-row domestic balance page into typed rows (goal: ≤ 1/2 of pydantic)", "", "| contender | per page |", "|---|---|"]
    return lines + [f"| {name} | {fmt_s(value)} |" for name, value in parse.items()]


def roundtrips_section(roundtrips: dict[str, Any]) -> list[str]:
    lines = ["", "## 7. Round trips (rate limiter off; goal ≥ 1.5× Prism, start-up < 0.3 s, peak < 60 MB)", ""]
    lines += ["Start-up: from starting the process to its first answer to an operation of the spec (Prism listens before it has read the document). The servers start one after the other.", ""]
    lines += ["| server | start-up | sync req/s | async (16 in flight) req/s | async: server CPU per request | async: client CPU per request | peak RSS |", "|---|---|---|---|---|---|---|"]
    for name, data in roundtrips.items():
        cpu = f"{fmt_s(data['async16_server_cpu_s'])} | {fmt_s(data['async16_client_cpu_s'])}"
        lines.append(f"| {name} | {fmt_s(data['start_s'])} | {data['sync_rps']:.0f} | {data['async16_rps']:.0f} | {cpu} | {data['peak_mib']:.0f} MiB |")
    return lines


def suite_section(suite: dict[str, Any]) -> list[str]:
    runs = suite["runs"]
    sizes = sorted(runs, key=int)
    growth = suite["per_operation"]
    lines = ["", "## 8. The test suite, and CI at 300 operations", ""]
    lines += ["Measured by bench/suite.py in a copy of the checkout: with spec/ as it is, and with spec/ grown by clones of its own operations to 300, so the cost each operation adds is measured, not guessed. Each copy runs what CI runs after set-up, as on a fresh clone (no black or mypy cache): `kisgen validate`, `kisgen check`, `mypy --strict`, then pytest. CPU time (user and system, pytest and every process it waits for) is what a busy shared machine disturbs least.", ""]
    lines += ["| suite | operations | tests | pytest wall time | pytest CPU time | validate + check + mypy | CI without set-up |", "|---|---|---|---|---|---|---|"]
    for before in SUITE_BEFORE["runs"]:
        lines.append(f"| before ({SUITE_BEFORE['revision']}, {SUITE_BEFORE['measured']}) | {before['operations']} | {before['tests']:,} | {fmt_s(before['wall_s'])} | {fmt_s(before['cpu_s'])} | {fmt_s(before['steps_s'])} | {fmt_s(before['wall_s'] + before['steps_s'])} |")
    for size in sizes:
        run = runs[size]
        steps = sum(run["steps_s"].values())
        lines.append(f"| now ({suite['revision']}) | {size} | {run['tests']:,} | {fmt_s(run['wall_s'])} | {fmt_s(run['cpu_s'])} | {fmt_s(steps)} | {fmt_s(run['wall_s'] + steps)} |")
    lines.append("")
    if len(SUITE_BEFORE["runs"]) > 1:
        small, large = SUITE_BEFORE["runs"][0], SUITE_BEFORE["runs"][-1]
        added = large["operations"] - small["operations"]
        lines += [f"- Before, each operation added {(large['tests'] - small['tests']) / added:.1f} tests, {(large['wall_s'] - small['wall_s']) / added:.2f} s of pytest wall time and {(large['cpu_s'] - small['cpu_s']) / added:.2f} s of its CPU time (between {small['operations']} and {large['operations']} operations)."]
    for size in sizes:
        lines += [f"- Steps at {size} operations: " + ", ".join(f"{name} {fmt_s(seconds)}" for name, seconds in runs[size]["steps_s"].items()) + "."]
    failed = [f"{name} ({size})" for size in sizes for name in runs[size]["failed"]]
    if failed:
        lines += [f"- Failed ({len(failed)}): " + ", ".join(f"`{name}`" for name in failed[:10]) + "."]
    if growth:
        top = [(name, data) for name, data in growth["by_file"].items() if data["seconds"] >= 0.001 or data["tests"] >= 0.5][:8]
        lines += [f"- Now each operation added between {growth['from']} and {growth['to']} adds {growth['tests']:.1f} tests, {growth['wall_s']:.2f} s of pytest wall time and {growth['cpu_s']:.2f} s of its CPU time; by file: " + "; ".join(f"{name} {data['tests']:.1f} tests, {data['seconds'] * 1000:.0f} ms" for name, data in top) + "."]
        largest = runs[sizes[-1]]
        ci = largest["wall_s"] + sum(largest["steps_s"].values())
        # The projection uses pytest's CPU time: on a shared machine its wall-time slope is mostly
        # the neighbours'. The other steps grow too (check renders the grown spec with a cold cache).
        each = growth["cpu_s"] + growth["steps_s"]
        room = f", room for about {(600 - ci) / each:.0f} more operations at {each:.2f} s each ({growth['cpu_s']:.2f} s of pytest CPU, {growth['steps_s']:.2f} s of the other steps)" if each > 0 else ""
        lines += [f"- CI at {sizes[-1]} operations took {fmt_s(ci)} plus set-up (pip); under 10 minutes that leaves {fmt_s(600 - ci)}{room}."]
    lines += ["", SUITE_NOTES]
    return lines


def bench_realtime() -> dict[str, Any]:
    from bench.realtime import bench_decode, bench_latency

    return {"decode": bench_decode(per_call), "latency": bench_latency()}


def bench_scale(work: Path, runs: int) -> dict[str, Any]:
    """spec/ at every REST API of KIS (bench/scale.py): generation, package, import, first call per area."""
    from bench.scale import measure
    from kisgen.pipeline import load_spec

    result = measure(ROOT / "spec", work / "scale", runs)
    spec = load_spec(ROOT / "spec")
    outputs = [tuple((field.wire, field.kind, field.always_sent, field.kind_inferred) for field in output.fields) for op in spec.operations for output in op.response.outputs]
    requests = [tuple((field.wire, field.required, field.codes, field.pattern, field.max_length, field.default) for field in op.fields) for op in spec.operations]
    result["shapes"] = {"outputs": len(outputs), "distinct outputs": len(set(outputs)), "requests": len(requests), "distinct requests": len(set(requests))}
    check = kisgen("check")
    subprocess.run(check, check=True, capture_output=True)  # the black cache holds spec/'s chunks from here on
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(check, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    result["check warm s"] = statistics.median(times)
    return result


def scale_section(scale: dict[str, Any]) -> list[str]:
    per_area = scale["first call in one area ms, per area"]
    lines = [
        "",
        f"## Scale: spec/ at {scale['operations']} operations (goals: `import kis_client` ≤ 30 ms, the first call into one area ≤ 150 ms whatever the number of areas)",
        "",
        "Each figure the median of fresh interpreters, in milliseconds of the process's CPU time (bench/scale.py): the client generated into a scratch project and compiled to bytecode, as an installed package is; a call goes through an in-process transport, its token first.",
        "",
        "| measure | spec/ |",
        "|---|---|",
        f"| operations (areas; the largest area's) | {scale['operations']} ({scale['areas']}; {scale['operations in the largest area']}) |",
        f"| `kisgen generate`, cold / warm | {fmt_s(scale['generate cold s'])} / {fmt_s(scale['generate warm s'])} |",
        f"| package: `.py` bytes, lines | {scale['package .py bytes']:,}, {scale['package .py lines']:,} |",
        f"| `import kis_client` | {scale['import kis_client ms']} ms |",
        f"| the first call into one area, max of {len(per_area)} (httpx's import included: {scale['httpx import ms (included below)']} ms) | {scale['first call in one area ms, max']} ms |",
        f"| one call into every area | {scale['one call in every area ms']} ms |",
        "",
        "The first call into each area: " + ", ".join(f"{area} {ms} ms" for area, ms in per_area.items()) + ".",
        "",
        f"- `import kis_client` {'meets' if scale['import kis_client ms'] <= 30 else 'misses'} its goal: the package loads its names on first use.",
        f"- The first call into an area {'meets' if scale['first call in one area ms, max'] <= 150 else 'misses'} its goal in every area, the largest ({max(per_area, key=lambda area: per_area[area])}) included: the client loads that area's module and the one operation's, never the others; about two thirds of it is httpx's own import.",
        f"- Source: {scale['package .py bytes'] / scale['operations'] / 1000:.0f} kB and {scale['package .py lines'] / scale['operations']:.0f} lines an operation, most of it docstrings giving every argument and field its Korean label; generation's cold time follows the lines black formats, and `kisgen check` takes {fmt_s(scale['check warm s'])} warm.",
        f"- Operations of the same shape could share parsers and validators, but few shapes repeat: {scale['shapes']['outputs']} outputs have {scale['shapes']['distinct outputs']} shapes and {scale['shapes']['requests']} requests {scale['shapes']['distinct requests']} (the repeats mostly an operation's second output where KIS's chk_ file does not say which columns are whose). Sharing them would save under 3 % of the package and give two outputs one class name, so they are not shared.",
    ]
    return lines


def realtime_section(realtime: dict[str, Any]) -> list[str]:
    decode, latency = realtime["decode"], realtime["latency"]
    lines = ["", "## 9. Decoding H0STCNT0 frames into records (goal: at least as fast as the naive dict, with types)", "", "| contender | " + " | ".join(decode) + " |", "|---|" + "---|" * len(decode)]
    for name in next(iter(decode.values())):
        lines.append(f"| {name} | " + " | ".join(f"{by_size[name]:,.0f} records/s" for by_size in decode.values()) + " |")
    lines += ["", f"## 10. End to end: the sandbox's write to a typed record in the program, at {RATE_SHOWN}", ""]
    lines += [f"The median of {REALTIME_TRIALS} trials, the sessions alternated; the sandbox in a process of its own. The machine's load average when done: {latency['load_average']:.1f}.", ""]
    lines += ["| session | median | 99th percentile | max | records a trial |", "|---|---|---|---|---|"]
    for name, data in latency["sessions"].items():
        lines.append(f"| {name} | {fmt_s(data['median'])} | {fmt_s(data['p99'])} | {fmt_s(data['max'])} | {data['count']:,.0f} |")
    return lines

if __name__ == "__main__":
    main()
