"""The token cache: one token between threads and processes, 0600 files, EGW00133 and EGW00123."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from tests.fault_server import APP_KEY, APP_SECRET, BALANCE_PATH, REVOKE_PATH, TOKEN_PATH, TOKEN_TOO_SOON, Fault, FaultServer, client_options, fault_server

from kis_client import KisClient, TokenCache, TokenError
from kis_client._tokens import Token
from kis_client._token_cache import TokenSlot

__all__ = ["fault_server"]


def token_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("token-*.json"))


def test_the_token_is_cached_on_disk_0600_and_reused_by_the_next_client(fault_server: FaultServer, tmp_path: Path) -> None:
    for _ in range(3):
        with KisClient(**client_options(fault_server, tmp_path)) as client:
            client.domestic_stock.inquire_balance()
    assert fault_server.tokens_issued() == 1
    (path,) = token_files(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["token"].startswith("test-access-token-0001")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".token-")]  # no temp file left
    assert APP_KEY not in path.name


def test_the_default_cache_directory_is_created_private(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with KisClient(**client_options(fault_server, tmp_path, token_cache=True)) as client:
        client.domestic_stock.inquire_balance()
    directory = tmp_path / "xdg" / "kis_client"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (path,) = token_files(directory)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_real_mock_and_another_server_never_share_a_slot(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    slots = [TokenSlot("real", "https://kis", APP_KEY), TokenSlot("mock", "https://kis", APP_KEY), TokenSlot("mock", "http://127.0.0.1:1", APP_KEY), TokenSlot("mock", "https://kis", APP_KEY + "2")]
    for number, slot in enumerate(slots):
        cache.store(slot, Token(f"token-{number}", time.time() + 3600))
    assert [cache.load(slot).value for slot in slots] == ["token-0", "token-1", "token-2", "token-3"]  # type: ignore[union-attr]
    assert len(token_files(tmp_path)) == 4
    assert len([path for path in token_files(tmp_path) if "-real-" in path.name]) == 1


def test_a_token_near_expiry_is_replaced_by_the_new_one_kis_issues(fault_server: FaultServer, tmp_path: Path) -> None:
    TokenCache(tmp_path).store(TokenSlot("mock", fault_server.url, APP_KEY), Token("test-access-token-old-" + "o" * 30, time.time() + 200))
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()
        client.domestic_stock.inquire_balance()
    assert fault_server.tokens_issued() == 1
    assert {seen.headers["authorization"] for seen in fault_server.seen_at(BALANCE_PATH)} == {"Bearer test-access-token-0001-" + "x" * 40}


def test_a_token_in_its_last_minutes_is_asked_for_once_and_used_to_its_end(fault_server: FaultServer, tmp_path: Path) -> None:
    # KIS hands back the same token until it changes: asking before every call gets it back
    # every time (and would run into EGW00133).
    fault_server.same_token = True
    value, expires_at = "test-access-token-issued-earlier-" + "z" * 30, time.time() + 200  # inside the 300 s margin
    fault_server.live_token(value, expires_at)
    TokenCache(tmp_path).store(TokenSlot("mock", fault_server.url, APP_KEY), Token(value, expires_at))
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        for _ in range(10):
            client.domestic_stock.inquire_balance()
    with KisClient(**client_options(fault_server, tmp_path)) as other:  # another process reads what KIS said
        other.domestic_stock.inquire_balance()
    assert fault_server.requests[TOKEN_PATH] == 1
    assert fault_server.tokens_issued() == 0
    assert {seen.headers["authorization"] for seen in fault_server.seen_at(BALANCE_PATH)} == {f"Bearer {value}"}
    (path,) = token_files(tmp_path)
    record = json.loads(path.read_text())
    assert record["latest"] is True and record["expires_at"] == pytest.approx(expires_at, abs=2)


def test_threads_of_one_client_share_one_token(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.token_delay = 0.2
    errors: list[BaseException] = []
    with KisClient(**client_options(fault_server, tmp_path)) as client:

        def work() -> None:
            try:
                client.domestic_stock.inquire_balance()
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert fault_server.tokens_issued() == 1
    assert fault_server.requests[BALANCE_PATH] == 8


def test_separate_clients_in_threads_share_one_token_through_the_cache(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.token_delay = 0.2
    clients = [KisClient(**client_options(fault_server, tmp_path, token_cache=TokenCache(tmp_path))) for _ in range(4)]
    threads = [threading.Thread(target=client.domestic_stock.inquire_balance) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert fault_server.tokens_issued() == 1
    assert fault_server.requests[BALANCE_PATH] == 4


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from kis_client import KisClient, RetryPolicy, TokenCache
    url, cache, go = sys.argv[1], sys.argv[2], sys.argv[3]
    client = KisClient(sys.argv[4], sys.argv[5], account="12345678-01", base_url=url, rate_limit=0,
                       retry=RetryPolicy(backoff=0.01), token_cache=TokenCache(cache))
    while not os.path.exists(go):
        time.sleep(0.002)
    client.domestic_stock.inquire_balance()
    """
)


def test_eight_processes_started_at_once_issue_one_token(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.token_delay = 0.3  # a slow issuer widens the window in which they all want one
    go = tmp_path / "go"
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, fault_server.url, str(tmp_path / "cache"), str(go), APP_KEY, APP_SECRET], stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    go.touch()
    failures = [child.stderr.read().decode() for child in children if child.wait(timeout=60) != 0]  # type: ignore[union-attr]
    assert failures == []
    assert fault_server.tokens_issued() == 1
    requests = fault_server.seen_at(BALANCE_PATH)
    assert len(requests) == 8
    assert len({seen.headers["authorization"] for seen in requests}) == 1


def test_egw00133_waits_and_reuses_the_token_another_process_stored(fault_server: FaultServer, tmp_path: Path) -> None:
    options = client_options(fault_server, tmp_path)
    cache: TokenCache = options["token_cache"]
    other = Token("test-access-token-from-another-process-" + "y" * 30, time.time() + 86400)
    fault_server.script(TOKEN_PATH, TOKEN_TOO_SOON)
    # While this client is told "one a minute", another process finishes storing its token.
    fault_server.on_token_request = lambda: cache.store(TokenSlot("mock", fault_server.url, APP_KEY), other)
    fault_server._valid_tokens.add(other.value)
    with KisClient(**options) as client:
        client.domestic_stock.inquire_balance()
    assert fault_server.requests[TOKEN_PATH] == 1
    assert fault_server.tokens_issued() == 0
    assert fault_server.seen_at(BALANCE_PATH)[0].headers["authorization"] == f"Bearer {other.value}"


def test_egw00133_is_waited_out_when_no_one_else_stores_a_token(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(TOKEN_PATH, TOKEN_TOO_SOON, TOKEN_TOO_SOON)
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()
    assert fault_server.requests[TOKEN_PATH] == 3
    assert fault_server.tokens_issued() == 1


def test_egw00133_past_the_wait_is_a_token_error_with_kis_code(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(TOKEN_PATH, *[TOKEN_TOO_SOON] * 1000)
    cache = TokenCache(tmp_path, poll_seconds=0.01, wait_seconds=0.05)
    with KisClient(**client_options(fault_server, tmp_path, token_cache=cache)) as client:
        with pytest.raises(TokenError) as caught:
            client.domestic_stock.inquire_balance()
    assert caught.value.msg_cd == "EGW00133"
    assert caught.value.status_code == 403
    assert "1분당 1회" in caught.value.msg1
    assert fault_server.requests[BALANCE_PATH] == 0


def test_egw00133_is_waited_out_at_warning_and_never_past_the_calls_deadline(fault_server: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fault_server.script(TOKEN_PATH, *[TOKEN_TOO_SOON] * 1000)
    cache = TokenCache(tmp_path, poll_seconds=0.1, wait_seconds=65.0)
    started = time.monotonic()
    with KisClient(**client_options(fault_server, tmp_path, token_cache=cache, deadline=0.5)) as client:
        with pytest.raises(TokenError) as caught:
            client.domestic_stock.inquire_balance()
    assert time.monotonic() - started < 30  # the call's deadline ended the wait, not wait_seconds
    assert caught.value.msg_cd == "EGW00133"
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING and "EGW00133" in record.getMessage()]
    assert len(warnings) == 2  # what is awaited and why, once; then that it gave up
    assert "at most one a minute per app key" in warnings[0] and "Waiting up to" in warnings[0]
    assert "giving up" in warnings[1]
    assert fault_server.requests[BALANCE_PATH] == 0


def test_without_a_disk_cache_egw00133_is_still_waited_out(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(TOKEN_PATH, TOKEN_TOO_SOON)
    memory = TokenCache.in_memory(poll_seconds=0.01)
    with KisClient(**client_options(fault_server, tmp_path, token_cache=memory)) as client:
        client.domestic_stock.inquire_balance()
        client.domestic_stock.inquire_balance()
    assert fault_server.tokens_issued() == 1
    assert list(tmp_path.iterdir()) == []


def test_token_issuance_is_retried_after_a_server_fault(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(TOKEN_PATH, Fault.http500(), Fault.reset(executes=False))
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()
    assert fault_server.requests[TOKEN_PATH] == 3
    assert fault_server.tokens_issued() == 1


def test_an_expired_token_is_replaced_on_disk_for_every_process(fault_server: FaultServer, tmp_path: Path) -> None:
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()
    fault_server.expire_tokens()
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()  # EGW00123, new token, repeated once
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()  # the new token, from disk
    assert fault_server.tokens_issued() == 2
    assert fault_server.requests[BALANCE_PATH] == 4
    (path,) = token_files(tmp_path)
    assert json.loads(path.read_text())["token"].startswith("test-access-token-0002")


def test_revoke_forgets_the_token_in_memory_and_on_disk(fault_server: FaultServer, tmp_path: Path) -> None:
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()
        assert len(token_files(tmp_path)) == 1
        client.auth.revoke()
        assert token_files(tmp_path) == []
        client.domestic_stock.inquire_balance()
    (revoke,) = fault_server.seen_at(REVOKE_PATH)
    assert revoke.json()["token"].startswith("test-access-token-0001")
    assert fault_server.tokens_issued() == 2
    assert fault_server.seen_at(BALANCE_PATH)[1].headers["authorization"].startswith("Bearer test-access-token-0002")


def test_a_corrupt_cache_file_is_ignored_and_replaced(fault_server: FaultServer, tmp_path: Path) -> None:
    slot = TokenSlot("mock", fault_server.url, APP_KEY)
    cache = TokenCache(tmp_path)
    path = cache.path(slot)
    assert path is not None
    tmp_path.mkdir(exist_ok=True)
    path.write_text("{not json")
    os.chmod(path, 0o600)
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()
    assert fault_server.tokens_issued() == 1
    assert json.loads(path.read_text())["token"].startswith("test-access-token-0001")


def test_an_unusable_cache_directory_does_not_stop_calls(fault_server: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    cache = TokenCache(blocker / "kis_client", poll_seconds=0.01)
    with KisClient(**client_options(fault_server, tmp_path, token_cache=cache)) as client:
        client.domestic_stock.inquire_balance()
        client.domestic_stock.inquire_balance()
        client.auth.revoke()  # the next call issues, stores and looks up a token again
        client.domestic_stock.inquire_balance()
    assert fault_server.tokens_issued() == 2
    # Said once, though every token lookup, lock and store meets it again.
    (warning,) = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert warning == f"token cache {blocker / 'kis_client'} unusable (NotADirectoryError); tokens stay in this process, not shared with others"


# -- what is on disk is not trusted for being there ---------------------------------------------

PLANTED = "test-access-token-planted-by-someone-else-" + "p" * 20


def plant(directory: Path, server: FaultServer, record: object, mode: int = 0o600) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / f"{TokenSlot('mock', server.url, APP_KEY).name}.json"
    path.write_text(json.dumps(record))
    os.chmod(path, mode)
    server._valid_tokens.add(PLANTED)  # the server would even take it
    return path


def sent_tokens(server: FaultServer) -> set[str]:
    return {seen.headers["authorization"].removeprefix("Bearer ") for seen in server.seen_at(BALANCE_PATH)}


def test_a_cache_directory_others_can_write_is_made_private_and_its_planted_token_ignored(fault_server: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    os.chmod(directory, 0o777)
    path = plant(directory, fault_server, {"token": PLANTED, "expires_at": time.time() + 3600}, mode=0o666)
    with KisClient(**client_options(fault_server, tmp_path, token_cache=TokenCache(directory, poll_seconds=0.01))) as client:
        client.domestic_stock.inquire_balance()
    assert PLANTED not in sent_tokens(fault_server)
    assert fault_server.tokens_issued() == 1
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # replaced by this client's own file
    assert json.loads(path.read_text())["token"].startswith("test-access-token-0001")
    assert "writable by others" in caplog.text and PLANTED not in caplog.text


NOW = time.time()


@pytest.mark.parametrize(
    "record",
    [
        {"token": PLANTED, "expires_at": float("inf")},
        {"token": PLANTED, "expires_at": 1e308},
        {"token": PLANTED, "expires_at": 10**400},
        {"token": PLANTED, "expires_at": NOW + 30 * 86400},
        {"token": PLANTED, "expires_at": str(int(NOW + 3600))},
        {"token": PLANTED, "expires_at": True},
        {"token": PLANTED, "expires_at": None},
        {"token": PLANTED, "expires_at": NOW + 3600, "latest": "yes"},
        {"token": 12345678901234567890, "expires_at": NOW + 3600},
        {"token": PLANTED + "\n", "expires_at": NOW + 3600},
        {"token": "", "expires_at": NOW + 3600},
        [PLANTED, NOW + 3600],
    ],
    ids=["infinite", "absurd-float", "huge-int", "a-month", "string", "bool", "null", "latest-not-bool", "token-number", "token-newline", "token-empty", "a-list"],
)
def test_a_record_that_is_not_a_sane_token_is_ignored_and_replaced(fault_server: FaultServer, tmp_path: Path, record: object) -> None:
    path = plant(tmp_path, fault_server, record)
    fault_server._valid_tokens.add("12345678901234567890")
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()
    assert sent_tokens(fault_server) == {"test-access-token-0001-" + "x" * 40}
    assert json.loads(path.read_text())["token"].startswith("test-access-token-0001")


def test_a_symlinked_token_file_is_not_followed(fault_server: FaultServer, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"token": PLANTED, "expires_at": time.time() + 3600}))
    os.chmod(elsewhere, 0o600)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    link = cache / f"{TokenSlot('mock', fault_server.url, APP_KEY).name}.json"
    link.symlink_to(elsewhere)
    fault_server._valid_tokens.add(PLANTED)
    with KisClient(**client_options(fault_server, tmp_path, token_cache=TokenCache(cache, poll_seconds=0.01))) as client:
        client.domestic_stock.inquire_balance()
    assert PLANTED not in sent_tokens(fault_server)
    assert not link.is_symlink()  # replaced by a file of the cache's own
    assert json.loads(elsewhere.read_text())["token"] == PLANTED  # and the target left alone


def test_a_cache_directory_of_another_user_is_not_used(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    plant(directory, fault_server, {"token": PLANTED, "expires_at": time.time() + 3600})
    owner = directory.stat().st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 1)  # as if the directory were someone else's
    with KisClient(**client_options(fault_server, tmp_path, token_cache=TokenCache(directory, poll_seconds=0.01))) as client:
        client.domestic_stock.inquire_balance()
        client.domestic_stock.inquire_balance()
    assert PLANTED not in sent_tokens(fault_server)
    assert fault_server.tokens_issued() == 1  # kept in memory for this client
    assert sorted(path.name for path in directory.iterdir()) == [f"{TokenSlot('mock', fault_server.url, APP_KEY).name}.json"]
    assert "belongs to another user" in caplog.text
