"""send-test: the built newsletter.eml, marked [TEST], through the author's own SMTP server."""

from __future__ import annotations

import email
import email.policy
import os
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from monthlypost.config import Settings, Smtp
from monthlypost.errors import SendError

PASSWORD_VARIABLE = "MONTHLYPOST_SMTP_PASSWORD"
TIMEOUT_SECONDS = 30


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


def send_test(settings: Settings, eml_path: Path, recipients: list[str]) -> None:
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
    msg = tester_copy(eml_path.read_bytes(), recipients)
    where = f"{smtp.host}:{smtp.port}"

    def fail(what: str) -> SendError:
        return SendError.at(settings.path, f"[smtp] {where}: {what}")

    try:
        with _connect(smtp) as server:
            if smtp.username:
                server.login(smtp.username, password or "")
            refused = server.send_message(msg, from_addr=settings.from_address, to_addrs=recipients)
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
        raise fail('the server does not offer STARTTLS; try security = "ssl" (usually port 465)') from None
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
    if refused:
        shown = "; ".join(f"{addr}: {_reply(reply)}" for addr, reply in refused.items())
        raise fail(f"some recipients were refused ({shown}); the others were sent the test")


def _connect(smtp: Smtp) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS, context=context)
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS)
    if smtp.security == "starttls":
        try:
            server.starttls(context=context)
        except BaseException:
            server.close()
            raise
    return server


def _reply(err: object) -> str:
    """An SMTP error's code and text, as the server gave them."""
    code = getattr(err, "smtp_code", None)
    text = getattr(err, "smtp_error", None)
    if isinstance(err, tuple) and len(err) == 2:
        code, text = err
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip() if code else str(err)
