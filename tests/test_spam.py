"""newsletter.eml as a spam filter scores it: SpamAssassin (Debian's, its shipped rules, local tests only, so
no network), for every golden month and with a Reply-To that differs from the sender."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from .conftest import GOLDEN_MONTHS, built_golden, edit, run

MOST = 1.0  # a fraction of the 5.0 at which SpamAssassin calls a message spam


def score(eml: bytes, home) -> tuple[float, str]:
    if shutil.which("spamassassin") is None:
        reason = "needs SpamAssassin: apt-get install spamassassin (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    report = subprocess.run(
        ["spamassassin", "--test-mode", "--local"],
        input=eml,
        capture_output=True,
        env={**os.environ, "HOME": str(home)},  # its user preferences, kept out of the real home
        timeout=300,
        check=True,
    ).stdout.decode("utf-8", "replace")
    found = re.search(r"Content analysis details:\s+\((-?[\d.]+) points", report)
    assert found is not None, report
    return float(found[1]), report[found.start() :]


@pytest.mark.parametrize("month", GOLDEN_MONTHS)
def test_each_golden_months_email_scores_well_under_spam(month, tmp_path, monkeypatch):
    out = built_golden(month, tmp_path, monkeypatch)
    points, report = score((out / "newsletter.eml").read_bytes(), tmp_path)
    assert points < MOST, report


def test_a_reply_to_apart_from_the_sender_scores_well_under_spam_too(example, tmp_path):
    edit(
        example / "monthlypost.toml",
        'reply_to = "Patrick@patricklerouge.com"',
        'reply_to = "help@livepainfreeprocess.com"',
    )
    assert run("build", "2024-04").exit_code == 0
    eml = (example / "dist/2024-04/newsletter.eml").read_bytes()
    assert b"\r\nReply-To: " in eml and b"\r\nTo: undisclosed-recipients:;\r\n" in eml
    points, report = score(eml, tmp_path)
    assert points < MOST, report
    for rule in ("MISSING_HEADERS", "REPLYTO_WITHOUT_TO_CC", "HTML_FONT_LOW_CONTRAST", "FONT_INVIS"):
        assert rule not in report
