"""Packaging: the generated client is a project of its own (generated/pyproject.toml: kis_client,
httpx and sniffio, nothing of the generator), the generator installs under its own import name,
and with the install the README gives, mypy --strict in a bot's project sees kis_client's types.

scripts/check-install proves both README installs in fresh virtual environments (it needs PyPI);
these are the parts that need no network.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from kisgen import cli
from tests.conftest import REPO

IMPORT_NAME = "kisgen"  # the generator's import name; its folder is generator/
GENERATOR = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
CLIENT = tomllib.loads((REPO / "generated" / "pyproject.toml").read_text(encoding="utf-8"))

# A bot's test against the sandbox, as the README installs it: kisgen beside the client.
BOT_TEST = """\
from pathlib import Path

from kisgen.pipeline import load_spec
from kisgen.sandbox import running_sandbox


def sandbox_url(spec_dir: Path) -> str:
    with running_sandbox("mock", spec=load_spec(spec_dir)) as sandbox:
        return sandbox.base_url
"""

BOT = """\
from kis_client import KisClient, Side
from kis_client.enums import OrdDvsn


def buy_one(client: KisClient) -> str:
    return client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn=OrdDvsn.LIMIT, ord_qty="1", ord_unpr="70000").order.odno
"""


def test_the_client_project_holds_the_client_and_its_runtime_dependencies_only() -> None:
    project = CLIENT["project"]
    assert project["name"] == "kis-client"
    assert project["dependencies"] == ["httpx>=0.27,<1", "sniffio>=1.3", "tzdata; sys_platform == 'win32'"]
    setuptools = CLIENT["tool"]["setuptools"]
    package = REPO / "generated" / "kis_client"
    on_disk = sorted(".".join(("kis_client", *path.relative_to(package).parts)).rstrip(".") for path in [package, *package.rglob("*")] if path.is_dir() and path.name != "__pycache__")
    assert setuptools["packages"] == on_disk
    assert {"kis_client", "kis_client.schemas", "kis_client.domestic_stock"} <= set(on_disk)  # one package per area
    # The directory is the import root: an editable install is then a .pth file, which mypy
    # reads, rather than setuptools' import hook, which it cannot.
    assert setuptools["package-dir"] == {"": "."}
    assert CLIENT["tool"]["setuptools"]["package-data"] == {"kis_client": ["py.typed"], "kis_client.schemas": ["*.json"]}


def test_the_generator_project_does_not_bring_the_client() -> None:
    packages = GENERATOR["tool"]["setuptools"]["packages"]
    assert not any(name.split(".")[0] == "kis_client" for name in packages)
    assert not any(dependency.startswith(("httpx", "sniffio")) for dependency in GENERATOR["project"]["dependencies"])


def test_the_generator_installs_under_its_import_name() -> None:
    setuptools = GENERATOR["tool"]["setuptools"]
    assert setuptools["packages"] == [IMPORT_NAME, f"{IMPORT_NAME}.builder", f"{IMPORT_NAME}.sandbox"]
    assert setuptools.get("package-dir", {IMPORT_NAME: "generator"}) == {IMPORT_NAME: "generator"}
    assert setuptools["package-data"] == {IMPORT_NAME: ["spec.schema.json", "py.typed"]}
    assert GENERATOR["project"]["scripts"] == {"kisgen": f"{IMPORT_NAME}.cli:main"}
    assert importlib.import_module(f"{IMPORT_NAME}.cli").main is cli.main


def test_mypy_in_a_bot_s_project_sees_the_client(tmp_path: Path) -> None:
    """With this environment's install (scripts/setup's, as the README gives it), run where the
    checkout is not on the path."""
    (tmp_path / "bot.py").write_text(BOT, encoding="utf-8")
    (tmp_path / "wrong.py").write_text(BOT.replace("-> str:", "-> int:"), encoding="utf-8")

    def mypy(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", name], cwd=tmp_path, capture_output=True, text=True, check=False)

    good = mypy("bot.py")
    assert good.returncode == 0, good.stdout
    wrong = mypy("wrong.py")  # the client's types are seen, not Any
    assert wrong.returncode == 1 and 'Incompatible return value type (got "str", expected "int")' in wrong.stdout, wrong.stdout


def test_mypy_in_a_bot_s_tests_sees_the_sandbox(tmp_path: Path) -> None:
    """kisgen installed as a package (the README's `pip install "/path/to/kisgen[sandbox]"`):
    mypy reads an installed package's types only when it ships py.typed. The install is stood in
    for by a directory on the path holding the package, which mypy treats as installed."""
    installed = tmp_path / "site"
    installed.mkdir()
    (installed / IMPORT_NAME).symlink_to(REPO / "generator", target_is_directory=True)
    bot = tmp_path / "bot"
    bot.mkdir()
    (bot / "test_bot.py").write_text(BOT_TEST, encoding="utf-8")
    (bot / "test_wrong.py").write_text(BOT_TEST.replace("-> str:", "-> int:"), encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(installed)}
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "test_bot.py", "test_wrong.py"], cwd=bot, env=environment, capture_output=True, text=True, check=False)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    # Only the wrong return type: no import-untyped, and kisgen's types are seen, not Any.
    assert len(errors) == 1 and errors[0].startswith("test_wrong.py:") and 'Incompatible return value type (got "str", expected "int")' in errors[0], result.stdout
