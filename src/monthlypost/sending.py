"""send-test: the built newsletter.eml, marked [TEST], through the author's own SMTP server."""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import os
import re
import smtplib
import socket
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from monthlypost.config import Settings, Smtp
from monthlypost.errors import SendError

PASSWORD_VARIABLE = "MONTHLYPOST_SMTP_PASSWORD"
TIMEOUT_SECONDS = 30  # for each answer
DEADLINE_SECONDS = 60  # for the whole session: a server dripping its answers a byte at a time is cut off


def tester_copy(eml: bytes, recipients: list[str]) -> EmailMessage:
    """The built message, addressed to the testers, with a [TEST] subject and its own id and date."""
    msg = email.message_from_bytes(eml, policy=email.policy.SMTP)
    assert isinstance(msg, EmailMessage)
    subject = str(msg["Subject"])
    del msg["Subject"], msg["To"], msg["Message-ID"], msg["Date"]
    msg["Subject"] = f"[TEST] {subject}"
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    sender = str(msg["From"].addresses[0].domain) if msg["From"] else None
    msg["Message-ID"] = make_msgid("monthlypost-test", domain=sender or None)
    return msg


def send_test(settings: Settings, eml: bytes, recipients: list[str]) -> None:
    """Send the month's newsletter to ``recipients``; every failure is a SendError saying what to do."""
    smtp = settings.smtp
    if smtp is None:
        raise SendError.at(
            settings.path,
            "[smtp] section: required for send-test; add host, port, security and username "
            f"(the password comes from the environment variable {PASSWORD_VARIABLE})",
        )
    password = os.environ.get(PASSWORD_VARIABLE)
    if smtp.username and not password:
        raise SendError.at(
            settings.path,
            f"[smtp] username is set but {PASSWORD_VARIABLE} is not; "
            f"export {PASSWORD_VARIABLE} with the password for {smtp.username}",
        )
    if smtp.username and smtp.security == "none" and not on_this_machine(smtp.host):
        raise SendError.at(
            settings.path,
            f'[smtp] security = "none" would send the password for {smtp.username} to {smtp.host} unencrypted; '
            'use "starttls" or "ssl" (only a server on this machine may take a login without them)',
        )
    msg = tester_copy(eml, recipients)
    where = f"{smtp.host}:{smtp.port}"

    def fail(what: str) -> SendError:
        return SendError.at(settings.path, f"[smtp] {where}: {what}")

    server = (
        smtplib.SMTP_SSL(timeout=TIMEOUT_SECONDS, context=_context())
        if smtp.security == "ssl"
        else smtplib.SMTP(timeout=TIMEOUT_SECONDS)
    )
    hung_up = threading.Event()
    watchdog = threading.Timer(DEADLINE_SECONDS, _hang_up, [server, hung_up])
    watchdog.daemon = True
    watchdog.start()
    try:
        try:
            with server:
                _connect(server, smtp)
                if smtp.username:
                    _login(server, smtp.username, password or "")
                refused = server.send_message(msg, from_addr=settings.from_address, to_addrs=recipients)
        except (OSError, smtplib.SMTPException):
            if hung_up.is_set():
                raise fail(f"no complete answer within {DEADLINE_SECONDS} seconds; it answers too slowly") from None
            raise
    except ConnectionRefusedError:
        raise fail("connection refused; check [smtp] host and port, and that the server is running") from None
    except socket.gaierror:
        raise fail("no such host; check [smtp] host") from None
    except TimeoutError:
        raise fail(f"no answer within {TIMEOUT_SECONDS} seconds; check [smtp] host and port") from None
    except smtplib.SMTPAuthenticationError as err:
        raise fail(
            f"the server refused the login for {smtp.username} ({_reply(err)}); "
            f"check [smtp] username and {PASSWORD_VARIABLE}"
        ) from None
    except smtplib.SMTPNotSupportedError as err:
        if "AUTH" in str(err):
            raise fail(
                'the server offers no login on this connection; try security = "starttls" or "ssl", '
                "or leave out [smtp] username if it needs none"
            ) from None
        if "STARTTLS" in str(err):
            raise fail('the server does not offer STARTTLS; try security = "ssl" (usually port 465)') from None
        raise fail(f"the server cannot take this message: {err}") from None
    except ssl.SSLError as err:
        raise fail(
            f'secure connection failed ({err.reason or err}); security = "{smtp.security}" '
            "on this port? (465 is usually ssl, 587 starttls)"
        ) from None
    except smtplib.SMTPRecipientsRefused as err:
        shown = "; ".join(f"{addr}: {_reply(reply)}" for addr, reply in err.recipients.items())
        raise fail(f"every recipient was refused ({shown})") from None
    except smtplib.SMTPSenderRefused as err:
        raise fail(f"the sender {err.sender} was refused ({_reply(err)}); check [email] from_address") from None
    except smtplib.SMTPServerDisconnected as err:
        raise fail(f"the server closed the connection ({err or 'no reason given'})") from None
    except smtplib.SMTPException as err:
        raise fail(f"the server refused the message ({_reply(err)})") from None
    except OSError as err:
        raise fail(f"cannot connect: {err.strerror or err}") from None
    finally:
        watchdog.cancel()
    if refused:
        shown = "; ".join(f"{addr}: {_reply(reply)}" for addr, reply in refused.items())
        raise fail(f"some recipients were refused ({shown}); the others were sent the test")


def on_this_machine(host: str) -> bool:
    """Whether ``host`` is this machine (localhost, 127.0.0.1, ::1…), where a login travels no network."""
    import ipaddress

    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _connect(server: smtplib.SMTP, smtp: Smtp) -> None:
    server._host = smtp.host  # what SMTP(host) would set: the name TLS checks the certificate against
    server.connect(smtp.host, smtp.port)
    if smtp.security == "starttls":
        server.starttls(context=_context())


def _hang_up(server: smtplib.SMTP, hung_up: threading.Event) -> None:
    """At the session's deadline, from the watchdog's thread: the connection shut, so that a read waiting on a
    server that drips its answer ends at once (it would wait TIMEOUT_SECONDS for each byte)."""
    hung_up.set()
    sock = server.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _login(server: smtplib.SMTP, username: str, password: str) -> None:
    """Log in; smtplib sends only ASCII, so other credentials go as UTF-8 in AUTH PLAIN (RFC 4616)."""
    if (username + password).isascii():
        server.login(username, password)
        return
    server.ehlo_or_helo_if_needed()
    if not server.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    if "PLAIN" not in server.esmtp_features["auth"].upper().split():
        raise smtplib.SMTPAuthenticationError(504, b"AUTH PLAIN, the one login for a non-ASCII password, not offered")
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = server.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


# What a reply code means (RFC 5321, 4954). The server's own words are never shown: a
# server that echoes what it was sent would put the login, password included, on screen.
_MEANINGS = {
    421: "service not available",
    450: "mailbox unavailable for now",
    451: "local error at the server",
    452: "the server is out of storage",
    454: "temporary login failure",
    500: "command not understood",
    501: "bad command arguments",
    502: "command not implemented",
    503: "bad sequence of commands",
    504: "not implemented",
    530: "a login or TLS is needed first",
    534: "a stronger login mechanism is needed",
    535: "username and password not accepted",
    538: "an encrypted connection is needed for this login",
    550: "mailbox unavailable, or refused",
    551: "user not local",
    552: "too large for the server",
    553: "address not allowed",
    554: "transaction failed",
    555: "MAIL FROM or RCPT TO parameters not recognised",
}
_ENHANCED = re.compile(rb"\b([245]\.[0-9]{1,3}\.[0-9]{1,3})\b")


def _reply(err: object) -> str:
    """An SMTP error as its code, enhanced status and what the code means."""
    code = getattr(err, "smtp_code", None)
    text = getattr(err, "smtp_error", b"")
    if isinstance(err, tuple) and len(err) == 2:
        code, text = err
    if not isinstance(code, int):
        return str(err) or "no reply"  # smtplib's own words, not the server's
    if isinstance(text, str):
        text = text.encode("utf-8", "replace")
    status = _ENHANCED.search(text or b"")
    meaning = _MEANINGS.get(code) or {4: "temporary failure", 5: "permanent failure"}.get(code // 100, "unexpected")
    return f"{code}{' ' + status.group(1).decode() if status else ''}: {meaning}"
