"""A bot's error handling, against a local KIS sandbox (no network, no money).

    python examples/error_handling.py

- ValidationError: the client refuses an order the spec forbids, before sending anything.
- KisApiError: KIS (here the sandbox) refuses an order, e.g. selling more than is held.
- RateLimitError: over KIS's requests per second (EGW00201); KIS executed nothing, so the client
  retries it with backoff, and its own rate limiter normally keeps it under the limit anyway.

The client reports each retry on the ``kis_client`` logger (WARNING); here those records are
printed in line with the steps, as a bot would send them to its own log.
"""

from __future__ import annotations

import logging
import sys
import time

from kisgen.sandbox import running_sandbox
from kis_client import KisApiError, KisClient, RateLimitError, RetryPolicy, Side, ValidationError
from kis_client.enums import OrdDvsn

ACCOUNT = "50654321-01"
KEY, SECRET = "demo-app-key-0002", "demo-app-secret-0002"


def main() -> None:
    logging.basicConfig(stream=sys.stdout, format="   kis_client log: %(message)s", level=logging.WARNING)
    with running_sandbox("mock") as sandbox:
        print(f"KIS sandbox (mock) at {sandbox.base_url}; its limit is {sandbox.state.rate_limit:g} requests a second\n")
        with KisClient(KEY, SECRET, account=ACCOUNT, base_url=sandbox.base_url, token_cache=False) as client:
            print("1. A market order with a price, and no quantity:")
            try:
                client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn=OrdDvsn.MARKET, ord_qty="0", ord_unpr="70000")
            except ValidationError as error:
                for problem in error.problems:
                    print(f"   refused before sending — {problem}")

            print("2. Selling 5 shares of 005930 while holding 1:")
            client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn=OrdDvsn.MARKET, ord_qty="1", ord_unpr="0")
            try:
                client.domestic_stock.order_cash(side=Side.SELL, pdno="005930", ord_dvsn=OrdDvsn.MARKET, ord_qty="5", ord_unpr="0")
            except KisApiError as error:
                print(f"   KIS said no — {error.msg_cd}: {error.msg1}")

        # A client without its rate limiter and without retries meets KIS's limit head on.
        with KisClient(KEY, SECRET, account=ACCOUNT, base_url=sandbox.base_url, token_cache=False, rate_limit=0, retry=RetryPolicy(attempts=1)) as hasty:
            print("3. Five balance queries at once, with the client's rate limiter off and no retries:")
            try:
                for _ in range(5):
                    hasty.domestic_stock.inquire_balance()
            except RateLimitError as error:
                print(f"   {error.msg_cd}: {error.msg1} — nothing was executed; safe to send again")

        # Retries: backoffs of at least 0.15 + 0.3 + 0.6 s reach past KIS's one-second window.
        patient_retry = RetryPolicy(attempts=5, backoff=0.3, max_backoff=2.0)
        with KisClient(KEY, SECRET, account=ACCOUNT, base_url=sandbox.base_url, token_cache=False, rate_limit=0, retry=patient_retry) as patient:
            print("4. The same five queries with retries (rate limiter still off); the client logs each retry:")
            holdings = [patient.domestic_stock.inquire_balance().holdings for _ in range(5)]
            print(f"   all {len(holdings)} answered; the client waited and retried where KIS said EGW00201")

        # KIS counts an app key's calls over the last second, step 4's included: a new client
        # cannot know them, so let that second pass.
        time.sleep(1.1)
        # No retries: a single EGW00201 would raise RateLimitError here.
        with KisClient(KEY, SECRET, account=ACCOUNT, base_url=sandbox.base_url, token_cache=False, retry=RetryPolicy(attempts=1)) as polite:
            print("5. The same five queries with the client's default rate limiter (the spec's 2/s for mock) and no retries:")
            for _ in range(5):
                polite.domestic_stock.inquire_balance()
            print("   all 5 answered at the first attempt: the limiter keeps at most 2 calls in any second, so KIS never said EGW00201")


if __name__ == "__main__":
    main()
