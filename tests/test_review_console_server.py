"""``sendguard review --serve`` under slow, stalled and malformed clients.

The console serves each connection in its own thread: a connection that never finishes
its headers, or sends ``Content-Length: -1``, must not keep anyone else waiting, and the
server drops it after console.SOCKET_TIMEOUT (idle) or console.REQUEST_DEADLINE (a
request trickled in too slowly). A POST's Content-Length must be one plain number of at
most console.MAX_BODY bytes. Every client here has a timeout of a few seconds, so a
regression fails instead of hanging.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto import mock_aws
from test_review import BOOTS, REVIEWER, SCARF, run_guard, sent_to  # tests/ is on sys.path

from functions import local
from functions.guard import app
from functions.review import console, release

CLIENT_TIMEOUT = 4.0  # seconds; far below the stall a regression would cause
Start = Callable[[], int]


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch) -> Iterator[Start]:
    """Starts the console (127.0.0.1, a free port) over moto holding two quarantined
    messages; returns the port. The constants may be patched before calling it."""
    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv(release.GUARD_FUNCTION, raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    servers: list[console.ConsoleServer] = []
    with mock_aws():
        app.reset()
        stack = local.provision()
        for key, value in stack.function_environment("GuardFunction").items():
            monkeypatch.setenv(key, value)
        local.verify_senders(["x@northwind.example"])
        run_guard(stack, BOOTS, SCARF)

        def begin() -> int:
            server = console.console_server(REVIEWER)
            servers.append(server)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            return int(server.server_port)

        try:
            yield begin
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()
            app.reset()


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8")
    finally:
        connection.close()


def opened(port: int, data: bytes) -> socket.socket:
    """A raw connection that has sent ``data`` and stays open."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT)
    sock.sendall(data)
    return sock


def until_closed(sock: socket.socket, within: float = CLIENT_TIMEOUT) -> bytes:
    """Everything the server sends until it closes the connection (a timeout fails)."""
    sock.settimeout(within)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {within} s; got {received!r}")
    finally:
        sock.close()
    return received


def status_of(response: bytes) -> int:
    assert response.startswith(b"HTTP/1."), response
    return int(response.split(b" ", 2)[1])


STALLED_HEADERS = b"GET /review HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # never ends
NEGATIVE_LENGTH = (
    b"POST /review/deny HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: -1\r\n\r\n"
)


def test_a_stalled_client_does_not_block_the_page_or_the_list(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "SOCKET_TIMEOUT", 8.0)  # longer than CLIENT_TIMEOUT
    port = start()
    stalled = opened(port, STALLED_HEADERS)
    silent = opened(port, b"")  # connected, sends nothing at all
    negative = opened(port, NEGATIVE_LENGTH)  # and keeps the connection open
    try:
        began = time.monotonic()
        status, page = get(port, "/review")
        assert status == 200 and "<script>" in page
        status, listed = get(port, "/review/items?state=all")
        assert status == 200
        assert {r["id"] for r in json.loads(listed)} == {BOOTS["id"], SCARF["id"]}
        assert time.monotonic() - began < CLIENT_TIMEOUT
        # The negative length is refused at once, not read until the client gives up.
        assert status_of(until_closed(negative)) == 400
    finally:
        stalled.close()
        silent.close()
        negative.close()


def test_a_stalled_connection_is_closed_after_the_timeout(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "SOCKET_TIMEOUT", 0.5)
    port = start()
    stalled, silent = opened(port, STALLED_HEADERS), opened(port, b"")
    began = time.monotonic()
    assert until_closed(stalled) == b""  # dropped, unanswered
    assert until_closed(silent) == b""
    assert time.monotonic() - began < 3
    # A POST whose body never comes is dropped the same way, and does nothing.
    body_missing = opened(
        port,
        b"POST /review/deny HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 40\r\n\r\n{"id": ',
    )
    assert until_closed(body_missing) == b""
    assert get(port, "/review")[0] == 200


def test_a_request_trickled_in_too_slowly_is_dropped(start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each byte in time for the idle timeout, but the whole request too late."""
    monkeypatch.setattr(console, "SOCKET_TIMEOUT", 2.0)
    monkeypatch.setattr(console, "REQUEST_DEADLINE", 1.0)
    port = start()
    sock = opened(port, b"GET /review HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    began = time.monotonic()
    try:
        while time.monotonic() - began < 3:
            sock.sendall(b"X-Slow: 1\r\n")
            time.sleep(0.25)
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert until_closed(sock) == b""
    assert time.monotonic() - began < 3 + CLIENT_TIMEOUT


POST_HEAD = b"POST /review/deny HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        (b"Content-Length: -1\r\n", b"", 400),
        (b"Content-Length: abc\r\n", b"", 400),
        (b"Content-Length: +5\r\n", b"", 400),
        (b"Content-Length: 1_0\r\n", b"", 400),
        (b"Content-Length: 0x10\r\n", b"", 400),
        (b"Content-Length: 99999999999999999999999\r\n", b"", 400),
        (b"Content-Length: 2\r\nContent-Length: 2\r\n", b"{}", 400),
        (b"Transfer-Encoding: chunked\r\n", b"2\r\n{}\r\n0\r\n\r\n", 400),
        (b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", b"{}", 400),
        (b"", b"{}", 411),
        (f"Content-Length: {console.MAX_BODY + 1}\r\n".encode(), b"", 413),
    ],
)
def test_a_bad_content_length_is_refused(start: Start, headers: bytes, body: bytes, expected: int) -> None:
    port = start()
    sock = opened(port, POST_HEAD + headers + b"\r\n" + body)
    assert status_of(until_closed(sock)) == expected
    assert sent_to(BOOTS["to"]) == 0


def test_a_body_shorter_than_its_length_is_refused(start: Start) -> None:
    port = start()
    sock = opened(port, POST_HEAD + b"Content-Length: 60\r\n\r\n" + json.dumps({"id": BOOTS["id"]}).encode())
    sock.shutdown(socket.SHUT_WR)  # the client says it is done, 60 bytes or not
    assert status_of(until_closed(sock)) == 400


def test_a_good_post_still_works_and_the_checks_still_stand(start: Start) -> None:
    port = start()

    def post(headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
        try:
            connection.request("POST", "/review/deny", body=json.dumps(body), headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    json_type = {"Content-Type": "application/json"}
    assert post({"Host": "evil.example", **json_type}, {"id": SCARF["id"], "reason": "x"})[0] == 403
    assert (
        post({"Host": "127.0.0.1", "Content-Type": "text/plain"}, {"id": SCARF["id"], "reason": "x"})[0]
        == 403
    )
    status, answer = post({"Host": f"127.0.0.1:{port}", **json_type}, {"id": SCARF["id"], "reason": "stale"})
    assert status == 200 and json.loads(answer)["state"] == "denied"


def test_concurrent_requests_each_get_their_own_answer(start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests are read in parallel but resolved one at a time: the resolver keeps the
    current event process-wide, so two at once could answer one with the other's."""
    resolve = console.app._resolve

    def slowly() -> Any:  # widen the window between storing the event and reading it
        time.sleep(0.02)
        return resolve()

    monkeypatch.setattr(console.app, "_resolve", slowly)
    port = start()
    wanted = [BOOTS["id"], SCARF["id"]] * 12

    def shown(key: str) -> str:
        status, text = get(port, f"/review/item?id={key}")
        assert status == 200
        return str(json.loads(text)["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(shown, wanted)) == wanted


def test_connections_beyond_the_limit_are_closed_not_queued(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "MAX_CONNECTIONS", 2)
    monkeypatch.setattr(console, "SOCKET_TIMEOUT", 8.0)
    port = start()
    held = [opened(port, STALLED_HEADERS) for _ in range(2)]
    try:
        time.sleep(0.3)  # both accepted and in their handlers
        assert until_closed(opened(port, b"GET /review HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) == b""
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + CLIENT_TIMEOUT
    while True:  # the slots come back once the held connections end
        try:
            assert get(port, "/review")[0] == 200
            break
        except (ConnectionError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
