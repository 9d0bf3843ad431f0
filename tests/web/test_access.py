"""Only the owner opens the review page (issue 13.6): the access token, the refusal to listen
beyond loopback without TLS or consent, and a page that stays up under half-open connections."""

from __future__ import annotations

import _socket
import os
import pty
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.agent.draftfixtures import ME, NOW
from touchbase.agent.cli.main import EXIT_USER_ERROR, main
from touchbase.agent.errors import UserError
from touchbase.agent.pipeline.config import Config
from touchbase.agent.pipeline.drafts import lifecycle
from touchbase.agent.service import Service
from touchbase.agent.web.limits import PER_CLIENT
from touchbase.agent.web.security import ACCESS_COOKIE, access_token
from touchbase.agent.web.server import HEAD_SECONDS, Server, Tls, make_server
from touchbase.agent.web.site import Site


def _status(world: Any, draft_id: int) -> str:
    with world.sessions() as session:
        return lifecycle.get_draft(session, draft_id).status


def test_without_the_token_every_page_is_403_with_how_to_get_the_link(
    make_world: Any, page: Any
) -> None:
    world = make_world()
    jane = world.ids["jane@example.com"]
    for path in ("", "due", "people/1", "static/app.css", "?token=wrong"):
        response = page.goto(world.url + path)
        assert response.status == 403, path
        assert "touchbase serve" in page.locator("body").inner_text()
        assert "Dr. Jane" not in page.content() and 'name="csrf"' not in page.content()
    assert page.context.cookies() == []
    assert requests.post(f"{world.url}drafts/{jane}/approve", timeout=5).status_code == 403
    assert _status(world, jane) == "pending"


def test_the_link_sets_a_strict_httponly_cookie_and_leaves_a_clean_address(
    make_world: Any, page: Any
) -> None:
    world = make_world()
    page.goto(world.link)
    page.wait_for_url(world.url)  # the token is gone from the address bar and the history
    assert page.evaluate("history.length") == 2  # about:blank, the page: not the link
    assert page.locator("article.draft").count() == 3
    (cookie,) = [c for c in page.context.cookies() if c["name"] == ACCESS_COOKIE]
    assert cookie["value"] == world.token and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["expires"] > time.time() + 300 * 86400  # kept across browser restarts
    page.goto(world.url + "due")  # and every page after it opens with the cookie alone
    assert page.locator("table.due tbody tr").count() >= 1
    page.goto(world.link.replace("?", "due?") + "&page=1")
    page.wait_for_url(world.url + "due?page=1")  # other query values survive the redirect


def test_the_link_opened_from_another_site_gets_in(make_world: Any, page: Any) -> None:
    """A Strict cookie is withheld from a navigation another site started, redirects
    included: the link in webmail must still open the page."""
    world = make_world()
    page.route(
        "http://webmail.example/",
        lambda route: route.fulfill(
            body=f'<a id="link" href="{world.link}">review</a>', content_type="text/html"
        ),
    )
    page.goto("http://webmail.example/")
    page.click("#link")
    page.wait_for_url(world.url)
    assert page.locator("article.draft").count() == 3


def test_a_stolen_csrf_token_without_the_access_cookie_changes_nothing(
    make_world: Any, page: Any
) -> None:
    world = make_world()
    jane = world.ids["jane@example.com"]
    world.open(page)
    csrf = page.locator(f"#draft-{jane} input[name=csrf]").first.input_value()
    session = next(c for c in page.context.cookies() if c["name"] == "touchbase_session")
    curl = requests.Session()  # another local user: the form's token and even the session
    curl.cookies.set("touchbase_session", session["value"])
    answer = curl.post(f"{world.url}drafts/{jane}/approve", data={"csrf": csrf}, timeout=5)
    assert answer.status_code == 403 and "touchbase serve" in answer.text
    assert _status(world, jane) == "pending" and world.sink.calls == []
    page.locator(f"#draft-{jane} button[name=approve]").click()  # the owner's browser can
    assert _status(world, jane) == "pushed"


def test_the_token_is_per_install_and_kept(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    first = access_token(Service(Config(me=ME), url, lambda: NOW))
    again = access_token(Service(Config(me=ME), url, lambda: NOW))
    other = access_token(Service(Config(me=ME), f"sqlite:///{tmp_path / 'u.db'}", lambda: NOW))
    assert first == again != other and len(first) >= 40


def test_serve_prints_the_link_and_url_prints_it_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    assert main(["--db", db, "serve", "--url", "--port", "9999"]) == 0
    printed = capsys.readouterr().out.strip()
    token = access_token(Service(Config(), db, lambda: NOW))
    assert printed == f"http://127.0.0.1:9999/?token={token}"


# --- beyond loopback ---------------------------------------------------------------------------


def _lan_address() -> str | None:
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    found = [a for a in out.split() if "." in a and not a.startswith("127.")]
    return found[0] if found else None


@pytest.fixture
def service(tmp_path: Path) -> Service:
    return Service(Config(me=ME), f"sqlite:///{tmp_path / 't.db'}", lambda: NOW)


@pytest.fixture
def serving() -> Iterator[Any]:
    started: list[tuple[Server, threading.Thread]] = []

    def start(server: Server) -> Server:
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.close()
        thread.join(timeout=10)


def test_a_bind_beyond_loopback_is_refused_without_tls_or_consent(
    service: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for host in ("0.0.0.0", "::", _lan_address() or "192.0.2.1"):
        with pytest.raises(UserError, match="needs TLS"):
            make_server(Site(service), host, 0)
    assert main(["--db", service.db_url, "serve", "--host", "0.0.0.0", "--port", "0"]) == (
        EXIT_USER_ERROR
    )
    err = capsys.readouterr().err
    assert "needs TLS" in err and "--allow-remote" in err and "tls_cert" in err


def test_allowed_plain_http_beyond_loopback_warns_and_keeps_the_host_list(
    service: Service, serving: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = serving(
        make_server(
            Site(service), "0.0.0.0", 0, allow_remote=True, names=("touchbase.example.lan",)
        )
    )
    assert "WITHOUT TLS" in caplog.text
    assert server.url == f"http://touchbase.example.lan:{server.port}/"  # the link's name
    token = access_token(service)
    assert token not in caplog.text
    base = f"http://127.0.0.1:{server.port}/"
    for host, status in (
        ("evil.example", 421),  # DNS rebinding still meets the allow-list
        (f"touchbase.example.lan:{server.port}", 200),  # a configured name
    ):
        answer = requests.get(f"{base}?token={token}", headers={"Host": host}, timeout=5)
        assert answer.status_code == status, host
    assert requests.get(base, timeout=5).status_code == 403  # and the LAN still needs the link


def test_tls_serves_https_with_secure_cookies(
    service: Service, serving: Any, tmp_path: Path
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = serving(make_server(Site(service), "0.0.0.0", 0, tls=Tls(cert, key)))
    base = f"https://127.0.0.1:{server.port}/"
    first = requests.get(f"{base}?token={access_token(service)}", verify=False, timeout=10)
    assert first.status_code == 200 and "Secure" in first.headers["Set-Cookie"]
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{server.port}/", timeout=5)  # no plain HTTP
    with socket.create_connection(("127.0.0.1", server.port), timeout=HEAD_SECONDS * 4) as idle:
        assert idle.recv(1) == b""  # a handshake never begun is cut off too


# --- half-open connections ---------------------------------------------------------------------


def test_150_half_open_connections_do_not_hold_up_the_owner(make_world: Any) -> None:
    world = make_world()
    client = world.client()
    port = world.server.port
    hanging = []
    try:
        for _ in range(150):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET / HT")  # half a request line, and then nothing
            hanging.append(sock)
        started = time.monotonic()
        answer = client.get(world.url, timeout=30)
        assert answer.status_code == 200 and "Drafts to review" in answer.text
        assert time.monotonic() - started < 5  # a generous limit: it takes milliseconds
        # The request head has a deadline: each of them is closed soon after it opened.
        for sock in hanging:
            sock.settimeout(HEAD_SECONDS * 4)
            assert sock.recv(1024) == b""
    finally:
        for sock in hanging:
            sock.close()


def test_a_trickled_request_head_is_cut_off_at_the_deadline(make_world: Any) -> None:
    world = make_world()
    sock = socket.create_connection(("127.0.0.1", world.server.port), timeout=HEAD_SECONDS * 4)
    started = time.monotonic()
    try:
        for char in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100:
            try:
                sock.sendall(bytes([char]))
            except OSError:
                break  # closed by the server
            if time.monotonic() - started > HEAD_SECONDS * 4:
                pytest.fail("a request head trickled in for 4 times the deadline")
            ready = sock.recv(1024) if _readable(sock, 0.5) else None
            if ready == b"":
                break
    finally:
        sock.close()
    assert time.monotonic() - started < HEAD_SECONDS * 4


def _readable(sock: socket.socket, seconds: float) -> bool:
    import select

    return bool(select.select([sock], [], [], seconds)[0])


def test_the_token_never_reaches_the_log(
    make_world: Any, page: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    world = make_world()
    world.open(page)
    page.goto(world.url + "due")
    assert world.token not in caplog.text
    assert re.search(r"token=", caplog.text) is None


def test_a_client_beyond_loopback_holds_a_bounded_number_of_connections(
    service: Service, serving: Any
) -> None:
    lan = _lan_address()
    if lan is None:
        pytest.skip("this machine has no address beyond loopback")
    server = serving(make_server(Site(service), "0.0.0.0", 0, allow_remote=True))
    assert server.url == f"http://127.0.0.1:{server.port}/"  # a name it answers to
    held = []

    def lan_connection() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(HEAD_SECONDS * 4)
        # This machine's own LAN address (it stays on the machine): the base class connect,
        # not the test guard's, on purpose.
        _socket.socket.connect(sock, (lan, server.port))
        return sock

    try:
        for _ in range(PER_CLIENT):
            sock = lan_connection()
            sock.sendall(b"GET / HT")
            held.append(sock)
        extra = lan_connection()
        held.append(extra)
        try:  # one more from the same address: closed unanswered
            extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = extra.recv(64)
        except (ConnectionResetError, BrokenPipeError):
            answer = b""
        assert answer == b""
        owner = requests.get(f"{server.url}?token={access_token(service)}", timeout=5)
        assert owner.status_code == 200  # loopback is not capped: the page answers
        for sock in held[:4]:
            sock.close()
        deadline = time.monotonic() + HEAD_SECONDS * 4
        while time.monotonic() < deadline:  # places come back as connections close
            again = lan_connection()
            try:
                again.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = again.recv(64)
            except (ConnectionResetError, BrokenPipeError):
                answer = b""  # still capped: the server has not seen the closes yet
            finally:
                again.close()
            if not answer:
                time.sleep(0.05)
            else:
                assert answer.startswith(b"HTTP/1.1 ")
                break
        else:
            pytest.fail("no place came back after closing four connections")
    finally:
        for sock in held:
            sock.close()


def _serve(db: str, **streams: Any) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "touchbase"), "--db", db, "serve", "--port", "0"]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, **streams)


def test_serve_prints_the_link_on_a_terminal_and_keeps_it_out_of_a_journal(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    token = access_token(Service(Config(), db, lambda: NOW))
    journal = _serve(db, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # as under systemd
    try:
        assert journal.stdout is not None
        line = journal.stdout.readline().decode()
        assert line.startswith("review page: http://127.0.0.1:") and "serve --url" in line
        assert (
            f"touchbase --db {db} serve --url" in line
        )  # the link of this database, not the default's
        assert token not in line
        url = line.split()[2]
        assert requests.get(url, timeout=5).status_code == 403
        assert requests.get(f"{url}?token={token}", timeout=5).status_code == 200
    finally:
        journal.terminate()
        journal.wait(timeout=30)
    leader, follower = pty.openpty()
    terminal = _serve(db, stdout=follower, stderr=follower)
    os.close(follower)
    try:
        seen = b""
        while b"\n" not in seen:
            seen += os.read(leader, 1024)
        assert f"?token={token}".encode() in seen
    finally:
        terminal.terminate()
        terminal.wait(timeout=30)
        os.close(leader)
