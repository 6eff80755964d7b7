"""What a type checker sees of the client: a wrong code is an error, what KIS always sends is not
Optional. mypy --strict runs on a small bot; each line marked ``# error: CODE`` must be the
only ones it reports. And the committed client spells the spec's periods as a Literal, has every
walk in both flavours, and one enum of quotation codes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import kis_client

BOT = '''
from kis_client import AsyncKisClient, Exchange, KisClient, Side
from kis_client.enums import OrdDvsn, OvrsOrdDvsn


def cancel_what_was_ordered(client: KisClient) -> str:
    order = client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn=OrdDvsn.LIMIT, ord_qty="1", ord_unpr="70000")
    cancelled = client.domestic_stock.order_rvsecncl(
        krx_fwdg_ord_orgno=order.order.krx_fwdg_ord_orgno, orgn_odno=order.order.odno, ord_dvsn="00",
        rvse_cncl_dvsn_cd="02", ord_qty="0", ord_unpr="0", qty_all_ord_yn="Y",
    )
    return cancelled.order.odno + str(cancelled.order.ord_tmd.hour)


def kis_strings_still_work(client: KisClient) -> None:
    client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="00", ord_qty="1", ord_unpr="70000")
    client.overseas_stock.order(side="sell", ovrs_excg_cd="NASD", pdno="AAPL", ord_qty="1", ovrs_ord_unpr="190.50", ord_dvsn="00")
    client.overseas_price.price(excd="NAS", symb="AAPL")


def typos(client: KisClient) -> None:
    client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn="0O", ord_qty="1", ord_unpr="70000")  # error: arg-type
    client.domestic_stock.order_cash(side="BUY", pdno="005930", ord_dvsn="00", ord_qty="1", ord_unpr="70000")  # error: arg-type
    client.overseas_stock.order(side=Side.SELL, ovrs_excg_cd="NASDAQ", pdno="AAPL", ord_qty="1", ovrs_ord_unpr="1", ord_dvsn=OvrsOrdDvsn.LIMIT)  # error: arg-type
    KisClient("key", "secret", custtype="X")  # error: arg-type
    AsyncKisClient("key", "secret", custtype="B")


def still_optional(client: KisClient) -> str:
    balance = client.domestic_stock.inquire_balance()
    return balance.holdings[0].prdt_name  # error: return-value
'''


def test_mypy_catches_a_wrong_code_and_needs_no_assert_for_what_kis_always_sends(tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_text(BOT, encoding="utf-8")
    package_root = Path(kis_client.__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"), "bot.py"],
        cwd=tmp_path,
        env={"MYPYPATH": str(package_root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    reported = {(int(line), code) for line, code in re.findall(r"^bot\.py:(\d+): error: .*\[([a-z-]+)\]$", result.stdout, re.MULTILINE)}
    marked = {(number, match.group(1)) for number, text in enumerate(BOT.splitlines(), 1) if (match := re.search(r"# error: ([a-z-]+)$", text))}
    assert reported == marked, result.stdout + result.stderr
    assert '"0O"' in result.stdout or "'0O'" in result.stdout


def test_generated_code_carries_period_literal_walks_and_quote_codes() -> None:
    # The committed tree (`kisgen check` keeps it equal to what the spec renders).
    package = Path(kis_client.__file__).resolve().parent
    requests = (package / "domestic_stock" / "inquire_daily_ccld.py").read_text(encoding="utf-8")
    client = "".join(path.read_text(encoding="utf-8") for path in package.glob("*/api.py"))
    enums = (package / "enums.py").read_text(encoding="utf-8")
    assert "DomesticStockInquireDailyCcldPeriod = Literal[" in requests and '"within_3_months",\n    "before_3_months",' in requests
    assert "period: DomesticStockInquireDailyCcldPeriod," in client
    for walk in ("inquire_daily_itemchartprice_walk", "inquire_time_itemchartprice_walk", "dailyprice_walk"):
        assert f"    def {walk}(" in client and f"    async def {walk}(" in client
    assert "class QuoteExchange(CodeEnum):" in enums and '"NASD": "NAS",' in enums
