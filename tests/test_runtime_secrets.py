"""App key, app secret and tokens never appear in logs, reprs or exception texts."""

from __future__ import annotations

import asyncio
import logging
import traceback
from pathlib import Path
from typing import Any

import pytest
from tests.fault_server import (
    APP_KEY,
    APP_SECRET,
    BALANCE_PATH,
    HASHKEY_PATH,
    ORDER_PATH,
    RATE_LIMIT,
    TOKEN_EXPIRED,
    TOKEN_PATH,
    TOKEN_TOO_SOON,
    Fault,
    FaultServer,
    Page,
    client_options,
    fault_server,
)

from kis_client import AsyncKisClient, KisClient, KisError, RetryPolicy, Side, TokenCache
from kis_client._secrets import Credentials
from kis_client._tokens import Token
from kis_client._token_cache import TokenSlot

__all__ = ["fault_server"]

ORDER = {"side": Side.BUY, "pdno": "005930", "ord_dvsn": "00", "ord_qty": "1", "ord_unpr": "70000"}


def secrets_of(server: FaultServer) -> list[str]:
    tokens = [seen.headers["authorization"][len("Bearer ") :] for seen in server.seen if "authorization" in seen.headers]
    assert tokens, "the scenario must have used tokens"
    return [APP_KEY, APP_SECRET, *set(tokens)]


def leaks(texts: list[str], secrets: list[str]) -> list[tuple[str, str]]:
    """Every (secret part, text) where a whole secret, or any 10 characters of one, shows."""
    found = []
    for secret in secrets:
        parts = {secret[i : i + 10] for i in range(0, len(secret) - 9)}
        for text in texts:
            for part in parts:
                if part in text and "x" * 10 != part:  # the fake tokens end in x padding
                    found.append((part, text[:200]))
                    break
    return found


def test_no_secret_in_any_log_line_repr_or_exception(fault_server: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("kis_client", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    errors: list[BaseException] = []
    objects: list[Any] = []

    def expect_error(action: Any) -> None:
        try:
            action()
        except KisError as error:
            errors.append(error)
        else:  # pragma: no cover - every scripted call below fails
            raise AssertionError("expected an error")

    # Sync: token issuance after EGW00133, reads with retries, orders with every fault.
    fault_server.script(TOKEN_PATH, TOKEN_TOO_SOON)
    fault_server.pages = [Page([{"pdno": "000001"}], "M", "A" * 100, "B" * 100), Page([], "M", "A" * 100, "B" * 100), Page([], "D")]
    client = KisClient(**client_options(fault_server, tmp_path, hashkey=True, timeout=0.3, retry=RetryPolicy(attempts=2, backoff=0.01)))
    objects += [client, client._core, client._core.settings, client._ctx, client.domestic_stock]
    objects.append(client.domestic_stock.inquire_balance())
    expect_error(lambda: list(client.domestic_stock.inquire_balance_pages()))
    for fault in (Fault.slow(1.0), Fault.reset(), Fault.http500(), Fault.malformed()):
        fault_server.script(ORDER_PATH, fault)
        expect_error(lambda: client.domestic_stock.order_cash(**ORDER))
    fault_server.script(ORDER_PATH, RATE_LIMIT, RATE_LIMIT)
    expect_error(lambda: client.domestic_stock.order_cash(**ORDER))
    fault_server.script(BALANCE_PATH, TOKEN_EXPIRED, TOKEN_EXPIRED)
    expect_error(client.domestic_stock.inquire_balance)
    fault_server.script(BALANCE_PATH, Fault.http500(), Fault.http500())
    expect_error(client.domestic_stock.inquire_balance)
    fault_server.script(HASHKEY_PATH, Fault.http500(), Fault.http500())
    expect_error(lambda: client.domestic_stock.order_cash(**ORDER))
    expect_error(lambda: client.domestic_stock.order_cash(**{**ORDER, "ord_qty": "many"}))
    objects.append(client.domestic_stock.order_cash(**ORDER))
    objects.append(client.auth.hashkey({"A": "1"}))
    fault_server.expire_tokens()
    objects.append(client.domestic_stock.inquire_balance())  # renewed after EGW00123
    objects.append(client.auth.revoke())
    client.close()

    # A token request that never stops failing.
    fault_server.script(TOKEN_PATH, *[TOKEN_TOO_SOON] * 20)
    cache = TokenCache(tmp_path / "other", poll_seconds=0.01, wait_seconds=0.05)
    with KisClient(**client_options(fault_server, tmp_path, token_cache=cache)) as other:
        expect_error(other.domestic_stock.inquire_balance)
    fault_server._faults.clear()

    # Async: the same kinds of faults.
    async def run_async() -> None:
        async with AsyncKisClient(**client_options(fault_server, tmp_path, hashkey=True, timeout=0.3)) as aclient:
            objects.append(aclient)
            objects.append(await aclient.domestic_stock.inquire_balance())
            for fault in (Fault.slow(1.0), Fault.reset()):
                fault_server.script(ORDER_PATH, fault)
                try:
                    await aclient.domestic_stock.order_cash(**ORDER)
                except KisError as error:
                    errors.append(error)
            fault_server.script(BALANCE_PATH, *[Fault.malformed()] * 4)
            try:
                await aclient.domestic_stock.inquire_balance()
            except KisError as error:
                errors.append(error)

    asyncio.run(run_async())

    secrets = secrets_of(fault_server)
    objects += [Credentials(APP_KEY, APP_SECRET), Token(secrets[-1], 0.0), cache, TokenSlot("mock", fault_server.url, APP_KEY)]
    assert len(errors) >= 12
    texts = [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    texts += [repr(item) for item in objects]
    texts += [str(error) for error in errors] + [repr(error) for error in errors]
    texts += ["".join(traceback.format_exception(error)) for error in errors]
    texts += [repr(getattr(error, "sent", "")) for error in errors]
    assert len(caplog.records) > 20
    assert leaks(texts, secrets) == []


def test_secrets_logged_by_accident_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    KisClient(APP_KEY, APP_SECRET, token_cache=False).close()
    logging.getLogger("kis_client").warning("key %s secret %s", APP_KEY, APP_SECRET)
    (record,) = [record for record in caplog.records if record.name == "kis_client"]
    assert record.getMessage() == "key *** secret ***"


def test_leaks_finds_a_leak() -> None:
    assert leaks([f"header appkey={APP_KEY[3:20]}"], [APP_KEY]) != []
    assert leaks(["nothing here"], [APP_KEY]) == []


# -- what cannot go on the wire is refused before anything is sent (issue 15: 3) ----------------

ARABIC_ACCOUNT = "١٢٣٤٥٦٧٨-٠١"


@pytest.mark.parametrize(
    ("field", "options"),
    [
        ("app_key", {"app_key": APP_KEY + "\n"}),
        ("app_key", {"app_key": " " + APP_KEY}),
        ("app_key", {"app_key": APP_KEY + "\x00"}),
        ("app_key", {"app_key": "앱키" + APP_KEY}),
        ("app_secret", {"app_secret": APP_SECRET + "\r\n"}),
        ("app_secret", {"app_secret": APP_SECRET + "\t"}),
        ("app_secret", {"app_secret": APP_SECRET[:20] + "\x7f" + APP_SECRET[20:]}),
        ("account", {"account": ARABIC_ACCOUNT}),
        ("account", {"account": "87654321-02\n"}),
        ("account", {"account": " 87654321-02"}),
        ("account", {"account": "１２３４５６７８-０１"}),
        ("custtype", {"custtype": "X"}),
        ("custtype", {"custtype": "p"}),
        ("custtype", {"custtype": "P\n"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_what_cannot_go_on_the_wire_is_refused_when_the_client_is_made(fault_server: FaultServer, field: str, options: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        KisClient(**client_options(fault_server, tmp_path, **options))
    assert sum(fault_server.requests.values()) == 0
    message = str(caught.value)
    assert message.startswith(field)
    bad = options[field]
    if field != "custtype":  # P and B are letters of the message itself
        assert bad not in message and bad.strip() not in message
    for secret in (APP_KEY, APP_SECRET):
        assert leaks([message, repr(caught.value)], [secret]) == []


URL_PASSWORD = "pw-Secret-0123456789"


@pytest.mark.parametrize(
    ("suffix", "problem"),
    [
        ("\n", "must not contain whitespace or control characters"),
        ("/ uapi", "must not contain whitespace or control characters"),
        ("/\x00", "must not contain whitespace or control characters"),
        ("?debug=1", "must not have a query or fragment"),
        ("#top", "must not have a query or fragment"),
    ],
    ids=["newline", "space", "nul", "query", "fragment"],
)
def test_a_base_url_that_cannot_be_sent_to_is_refused_when_the_client_is_made(fault_server: FaultServer, tmp_path: Path, suffix: str, problem: str) -> None:
    for client_class in (KisClient, AsyncKisClient):
        with pytest.raises(ValueError) as caught:
            client_class(**client_options(fault_server, tmp_path, base_url=fault_server.url + suffix))
        assert str(caught.value).startswith(f"base_url {problem}")
        assert fault_server.url not in str(caught.value)  # never the value: it could hold a secret
    assert sum(fault_server.requests.values()) == 0


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        (f"https://trader:{URL_PASSWORD}@openapi.koreainvestment.com:9443", "must not hold a user name or password"),
        (f"http://{URL_PASSWORD}@127.0.0.1:8000", "must not hold a user name or password"),
        ("ftp://openapi.koreainvestment.com", "must start with http:// or https://"),
        ("openapi.koreainvestment.com:9443", "must start with http:// or https://"),
        ("https://", "has no host"),
        ("http://127.0.0.1:99999", "is not a URL"),
        ("http://127.0.0.1:0", "has port 0"),
        ("http://[::1", "is not a URL"),
    ],
    ids=["password", "user-only", "ftp", "no-scheme", "no-host", "port-too-big", "port-0", "bad-ipv6"],
)
def test_a_base_url_is_checked_and_never_shown(base_url: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        KisClient(APP_KEY, APP_SECRET, base_url=base_url, token_cache=False)
    message = str(caught.value)
    assert message.startswith(f"base_url {problem}") and message.endswith("; the value is not shown")
    assert leaks([message, repr(caught.value)], [URL_PASSWORD]) == []


def test_kis_base_url_from_the_environment_is_checked_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIS_APP_KEY", APP_KEY)
    monkeypatch.setenv("KIS_APP_SECRET", APP_SECRET)
    monkeypatch.delenv("KIS_ACCOUNT", raising=False)
    monkeypatch.delenv("KIS_ENV", raising=False)
    monkeypatch.setenv("KIS_BASE_URL", "http://127.0.0.1:1\n")
    with pytest.raises(ValueError, match="^environment variable KIS_BASE_URL must not contain whitespace"):
        KisClient.from_env(token_cache=False)
    monkeypatch.setenv("KIS_BASE_URL", "http://127.0.0.1:8000/")
    with KisClient.from_env(token_cache=False) as client:
        assert repr(client) == "KisClient(env='mock', account=None, base_url='http://127.0.0.1:8000')"


def test_a_token_that_cannot_go_in_a_header_never_reaches_httpcore(fault_server: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # httpcore logs a header it refuses, value and all, at DEBUG, outside kis_client's mask.
    caplog.set_level(logging.DEBUG)
    for name in ("kis_client", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    broken = "test-access-token-with-a-newline\n-" + "n" * 30
    fault_server.token_value = broken
    from kis_client import OrderStateUnknownError, TransportError

    with KisClient(**client_options(fault_server, tmp_path)) as client:
        with pytest.raises(TransportError) as caught:
            client.domestic_stock.order_cash(**ORDER)
    assert not isinstance(caught.value, OrderStateUnknownError)  # nothing was sent
    assert fault_server.requests[ORDER_PATH] == 0
    texts = [record.getMessage() for record in caplog.records] + [str(caught.value), repr(caught.value)]
    assert leaks(texts, [broken.split("\n")[0], broken.split("\n")[1]]) == []
    assert not list(tmp_path.glob("token-*.json"))  # never stored either
