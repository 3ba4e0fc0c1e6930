"""send-test through a real SMTP server on 127.0.0.1 (aiosmtpd): plain, STARTTLS and SSL, and its failures."""

from __future__ import annotations

import base64
import email
import email.policy
import socket
import socketserver
import ssl
import threading

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monthlypost.sending import on_this_machine

from .conftest import edit, run

PASSWORD = "s3cret-Pa55word"


class Inbox:
    """What the server received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def check_login(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: the server sends the 235 or 535 reply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A CA the client trusts (through SSL_CERT_FILE) and a server certificate for 127.0.0.1."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return server, path


def start(security: str, certificate, **server_options) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    tls, _ = certificate
    # aiosmtpd counts only STARTTLS as TLS for AUTH, so the ssl server must not insist on it
    options = {"authenticator": check_login, "auth_require_tls": security == "starttls", **server_options}
    if security == "starttls":
        options.update(tls_context=tls, require_starttls=True)
    if security == "ssl":
        options.update(ssl_context=tls)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller, inbox


def use_smtp(root, port: int, security: str, username: str | None = "patrick") -> None:
    login = f'username = "{username}"\n' if username else ""
    edit(
        root / "monthlypost.toml",
        "[youtube]",
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\n{login}\n[youtube]',
    )


def send_through(root, certificate, security, *recipients, username="patrick", **server_options):
    """monthlypost send-test through a fresh server; the result, what arrived, and the port."""
    controller, inbox = start(security, certificate, **server_options)
    try:
        use_smtp(root, controller.port, security, username)
        to = [arg for address in (recipients or ["me@example.com"]) for arg in ("--to", address)]
        return run("send-test", "2024-04", *to), inbox, controller.port
    finally:
        controller.stop()


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_a_test_send_arrives(example, monkeypatch, certificate, security):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[1]))
    monkeypatch.setenv("MONTHLYPOST_SMTP_PASSWORD", PASSWORD)
    result, inbox, port = send_through(example, certificate, security, "me@example.com", "editor@example.com")

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        f"2024-04: test sent to me@example.com, editor@example.com through 127.0.0.1:{port}\n"
    )
    ((sender, recipients, data),) = inbox.messages
    assert sender == "Patrick@patricklerouge.com"
    assert recipients == ["me@example.com", "editor@example.com"]
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["Subject"] == "[TEST] Why Your Hip Pain Keeps Coming Back"
    assert msg["To"] == "me@example.com, editor@example.com"
    assert msg["From"] == "Patrick Lerouge <Patrick@patricklerouge.com>"
    built = email.message_from_bytes(
        (example / "dist/2024-04/newsletter.eml").read_bytes(), policy=email.policy.default
    )
    assert msg["Message-ID"] != built["Message-ID"]
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.iter_parts()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    # SMTP carries lines ending in CRLF; the content is otherwise exactly what was built
    assert text.get_content().replace("\r\n", "\n") == (example / "dist/2024-04/newsletter.txt").read_text()
    assert html.get_content().replace("\r\n", "\n") == (example / "dist/2024-04/newsletter.html").read_text()
    assert PASSWORD not in result.output


def test_a_stale_month_is_built_before_it_is_sent(example, monkeypatch, certificate):
    result, inbox, port = send_through(example, certificate, "none", username=None)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2024-04: built dist/2024-04\n")
    assert len(inbox.messages) == 1


def test_a_month_with_errors_is_not_sent(example, certificate):
    edit(example / "campaigns/2024-04/topic.toml", "https://youtu.be/hipPain2404", "https://vimeo.com/1")
    result, inbox, port = send_through(example, certificate, "none", username=None)
    assert result.exit_code == 1
    assert "Error: campaigns/2024-04/topic.toml: video:" in result.stderr
    assert "2024-04: not built, so nothing was sent" in result.stderr
    assert inbox.messages == []


def test_a_closed_port_is_a_clean_error(example, monkeypatch):
    monkeypatch.setenv("MONTHLYPOST_SMTP_PASSWORD", PASSWORD)
    port = free_port()
    use_smtp(example, port, "starttls")
    result = run("send-test", "2024-04", "--to", "me@example.com")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"Error: monthlypost.toml: [smtp] 127.0.0.1:{port}: connection refused; "
        "check [smtp] host and port, and that the server is running\n"
    )
    assert "Traceback" not in result.output


def test_a_rejected_login_is_a_clean_error_without_the_password(example, monkeypatch, certificate):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[1]))
    monkeypatch.setenv("MONTHLYPOST_SMTP_PASSWORD", "wrong-" + PASSWORD)
    result, inbox, port = send_through(example, certificate, "starttls")
    assert result.exit_code == 1
    assert f"[smtp] 127.0.0.1:{port}: the server refused the login for patrick (535 " in result.stderr
    assert "check [smtp] username and MONTHLYPOST_SMTP_PASSWORD" in result.stderr
    assert PASSWORD not in result.output
    assert inbox.messages == []


def test_a_certificate_the_client_cannot_trust_is_a_clean_error(example, monkeypatch, certificate):
    monkeypatch.setenv("MONTHLYPOST_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent")  # trust nothing, so the server's certificate fails
    result, inbox, port = send_through(example, certificate, "ssl")
    assert result.exit_code == 1
    assert "secure connection failed (CERTIFICATE_VERIFY_FAILED)" in result.stderr


def test_no_smtp_section_says_what_to_add(example):
    result = run("send-test", "2024-04", "--to", "me@example.com")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: monthlypost.toml: [smtp] section: required for send-test; add host, port, security and "
        "username (the password comes from the environment variable MONTHLYPOST_SMTP_PASSWORD)\n"
    )


def test_a_username_without_the_password_variable(example):
    use_smtp(example, 2525, "starttls")
    result = run("send-test", "2024-04", "--to", "me@example.com")
    assert result.exit_code == 1
    assert "[smtp] username is set but MONTHLYPOST_SMTP_PASSWORD is not" in result.stderr


@pytest.mark.parametrize("args", [[], ["--to", "not-an-address"]])
def test_recipients_are_required_and_checked(example, args):
    result = run("send-test", "2024-04", *args)
    assert result.exit_code == 2


def test_a_server_without_login_says_what_to_change(example, monkeypatch, certificate):
    monkeypatch.setenv("MONTHLYPOST_SMTP_PASSWORD", PASSWORD)
    # the server offers AUTH only after STARTTLS, which security = "none" never asks for
    result, inbox, port = send_through(example, certificate, "none", auth_require_tls=True)
    assert result.exit_code == 1
    assert "the server offers no login on this connection" in result.stderr
    assert inbox.messages == []


def test_a_password_beyond_ascii_logs_in_as_utf8(example, monkeypatch, certificate):
    password = "Pässwört-ünïcode-鍵"
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[1]))
    monkeypatch.setenv("MONTHLYPOST_SMTP_PASSWORD", password)

    def check(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.password == password.encode("utf-8"), handled=False)

    result, inbox, port = send_through(example, certificate, "starttls", authenticator=check)
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1
    assert password not in result.output


class EchoingServer(socketserver.StreamRequestHandler):
    """An SMTP server that refuses every login, repeating in its reply what the client sent."""

    def handle(self):
        self.wfile.write(b"220 echo.example ESMTP\r\n")
        while line := self.rfile.readline():
            if line.upper().startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250-echo.example\r\n250 AUTH PLAIN LOGIN\r\n")
            elif line.upper().startswith(b"AUTH"):
                self.wfile.write(b"535 5.7.8 Authentication failed for " + line.strip() + b"\r\n")
            elif line.upper().startswith(b"QUIT"):
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 5.5.1 no\r\n")


def test_a_server_reply_is_shown_as_its_code_never_its_words(example, monkeypatch):
    monkeypatch.setenv("MONTHLYPOST_SMTP_PASSWORD", PASSWORD)
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), EchoingServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        use_smtp(example, server.server_address[1], "none")
        result = run("send-test", "2024-04", "--to", "me@example.com")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert "(535 5.7.8: username and password not accepted)" in result.stderr
    encoded = base64.b64encode(f"\0patrick\0{PASSWORD}".encode()).decode()
    assert encoded not in result.output and PASSWORD not in result.output
    assert "Authentication failed for" not in result.output


@pytest.mark.parametrize("host", ["smtp.invalid", "192.0.2.1"])
def test_no_password_crosses_the_network_unencrypted(example, monkeypatch, host):
    """security = "none" with a login: refused before connecting, unless the server is on this machine (above)."""
    monkeypatch.setenv("MONTHLYPOST_SMTP_PASSWORD", PASSWORD)
    edit(
        example / "monthlypost.toml",
        "[youtube]",
        f'[smtp]\nhost = "{host}"\nport = 25\nsecurity = "none"\nusername = "patrick"\n\n[youtube]',
    )
    result = run("send-test", "2024-04", "--to", "me@example.com")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f'Error: monthlypost.toml: [smtp] security = "none" would send the password for patrick to {host} '
        'unencrypted; use "starttls" or "ssl" (only a server on this machine may take a login without them)\n'
    )
    assert PASSWORD not in result.output


@pytest.mark.parametrize(
    "host, here",
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("mail.example.com", False),
        ("127.0.0.1.nip.io", False),
    ],
)
def test_what_counts_as_this_machine(host, here):
    assert on_this_machine(host) is here


class DrippingServer(socketserver.BaseRequestHandler):
    """A server that sends its greeting a byte at a time, each well within the client's wait for one: only a
    deadline for the whole session ends the wait (it hangs up after a minute, so old code fails, not hangs)."""

    def handle(self):
        greeting = b"220 " + b"slow" * 1000 + b"\r\n"
        self.request.settimeout(1)
        for byte in greeting[:120]:
            try:
                self.request.sendall(bytes([byte]))
                if self.request.recv(1, socket.MSG_PEEK) == b"":  # the client hung up, as it should
                    return
            except TimeoutError:
                continue  # nothing from the client: it is still waiting
            except OSError:
                return


def test_a_server_dripping_its_answers_is_cut_off_at_the_deadline(example, monkeypatch):
    import monthlypost.sending

    monkeypatch.setattr(monthlypost.sending, "DEADLINE_SECONDS", 2)
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), DrippingServer)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        use_smtp(example, server.server_address[1], "none", username=None)
        result = run("send-test", "2024-04", "--to", "me@example.com")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"Error: monthlypost.toml: [smtp] 127.0.0.1:{server.server_address[1]}: no complete answer within 2 "
        "seconds; it answers too slowly\n"
    ), result.stderr
    assert "Traceback" not in result.output
