"""monthlypost.toml: typed settings, every problem at once (SPEC §2)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monthlypost import phones
from monthlypost.config import Settings
from monthlypost.errors import MonthlypostError
from monthlypost.workspace import Workspace

from .conftest import edit, run, write


def load(root: Path, text: str) -> Settings:
    write(root / "monthlypost.toml", text)
    return Workspace(root).settings


def problems(root: Path, text: str) -> list[str]:
    with pytest.raises(MonthlypostError) as caught:
        load(root, text)
    return [p.message for p in caught.value.problems]


def test_defaults_fill_what_is_left_out(tmp_path):
    settings = load(tmp_path, '[author]\nname = "Ana"\nemail = "ana@example.com"\n')
    assert settings.author.language == "en"
    assert settings.email.provider == "generic"
    assert settings.email.accent_color == "#2a7ab0"
    assert settings.email.utm is False
    assert settings.youtube.daily_quota == 10_000
    assert settings.youtube.client_secrets == "client_secret.json"
    assert settings.smtp is None
    assert settings.from_name == "Ana" and settings.from_address == "ana@example.com"
    assert settings.reply_to == "ana@example.com"


def test_the_example_settings_load(tmp_path):
    settings = load(tmp_path, (Path(__file__).parent.parent / "monthlypost.toml").read_text())
    assert settings.author.phone_vanity == "TRU 688 REST"
    assert settings.links == {"website": "https://www.livepainfreeprocess.com"}
    assert settings.youtube.hashtags == ["LivePainFree"]


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems(
        tmp_path,
        """
        [author]
        nmae = "Ana"
        email = "not-an-address"
        language = 7

        [emial]
        provider = "x"

        [email]
        provider = "mailchimpp"
        accent_color = "blue"
        utm = "yes"

        [links]
        site = "www.example.com"

        [youtube]
        hashtags = ["ok", "not ok"]
        daily_quota = 0

        [smtp]
        host = "smtp.example.com"
        security = "tls"
        port = 70000
        """,
    )
    assert found == [
        "unknown section [emial]; did you mean [email]?",
        "unknown key 'nmae' in [author]; did you mean 'name'?",
        "[author] name: required",
        "[author] email: 'not-an-address' is not an email address",
        "[author] language: expected a string, got an integer",
        "[email] provider: 'mailchimpp' is not one of mailchimp, kit, buttondown, mailerlite, brevo, "
        "sendgrid, mailjet, campaign-monitor, generic; did you mean 'mailchimp'?",
        "[email] accent_color: 'blue' is not a colour like #2a7ab0",
        "[email] utm: expected true or false, got a string",
        "[youtube] hashtags: 'not ok' may hold only letters, digits and '_'",
        "[youtube] daily_quota: must be a positive number of units",
        "[smtp] port: 70000 is not a port number (1–65535)",
        "[smtp] security: 'tls' is not one of starttls, ssl, none",
        "[links] site: 'www.example.com' is not an absolute web address (https://…)",
    ]


def test_every_message_names_the_file(tmp_path):
    with pytest.raises(MonthlypostError) as caught:
        load(tmp_path, "[author]\nname = 1\n")
    assert str(caught.value).endswith("monthlypost.toml: [author] name: expected a string, got an integer")


def test_a_toml_syntax_error_gives_its_line(tmp_path):
    found = problems(tmp_path, '[author]\nname = "Ana"\nemail = \n')
    assert found == ["line 3, column 9: invalid TOML: invalid value"]


def test_author_section_is_required(tmp_path):
    assert problems(tmp_path, "[links]\n") == ['[author] section: required, with at least name = "…"']


def test_a_key_outside_any_section(tmp_path):
    found = problems(tmp_path, 'phone = "1"\n[author]\nname = "Ana"\n')
    assert found == ["unknown key 'phone' outside any section"]


def test_a_section_given_as_a_value(tmp_path):
    found = problems(tmp_path, 'author = "Ana"\n')
    assert found == ["[author] must be a section (a table), not a single value"]


def test_unknown_placeholders_in_the_blog_url(tmp_path):
    found = problems(tmp_path, '[author]\nname = "A"\n[blog]\nurl = "https://a.example/{year}/{title}/"\n')
    assert found == ["[blog] url: unknown placeholder {title}; use {slug}, {year} or {month}"]


def test_blog_url_placeholders(tmp_path):
    settings = load(tmp_path, '[author]\nname = "A"\n[blog]\nurl = "https://a.example/{year}/{month}/{slug}/"\n')
    assert settings.blog.post_url("hip-pain", "2024-04") == "https://a.example/2024/04/hip-pain/"


def test_paths_resolve_against_the_workspace(tmp_path):
    settings = load(tmp_path, '[author]\nname = "A"\n[youtube]\nclient_secrets = "secrets/client.json"\n')
    assert settings.resolve(settings.youtube.client_secrets) == (tmp_path / "secrets/client.json").resolve()


PHONE = 'phone = "(878) 688-7378"\nphone_country = "US"\n'


@pytest.mark.parametrize(
    "lines, dialled",
    [
        (PHONE, "tel:+18786887378"),
        ('phone = "020 7946 0018"\nphone_country = "GB"\n', "tel:+442079460018"),  # the trunk 0 left out
        ('phone = "+44 20 7946 0018"\n', "tel:+442079460018"),
        ('phone = "+1 (878) 688-7378"\nphone_country = "FR"\n', "tel:+18786887378"),  # its own +1 first
    ],
)
def test_a_phone_number_is_dialled_with_its_country_code_from_anywhere(example, lines, dialled):
    edit(example / "monthlypost.toml", PHONE, lines)
    result = run("build", "2024-04")
    assert result.exit_code == 0 and "phone" not in result.stderr, result.output
    for name in ("post.html", "newsletter.html", "post.md"):
        assert f"{dialled}" in (example / "dist/2024-04" / name).read_text(), name


QUIET = {"capture_output": True, "text": True, "check": True, "timeout": 120}
PHONENUMBERS_IMPORTED = """
import sys
from monthlypost.cli import cli
try:
    cli(sys.argv[1:], prog_name="monthlypost")
except SystemExit as done:
    print("phonenumbers imported:", "phonenumbers" in sys.modules, "exit:", done.code)
"""


def test_what_phonenumbers_says_is_remembered_so_that_the_next_run_need_not_import_it(example):
    """Its import costs a one-month build a tenth of its time; the answers are kept in the user's config folder,
    for the phonenumbers installed."""

    def build(dialled: str = "tel:+18786887378") -> str:
        done = subprocess.run([sys.executable, "-c", PHONENUMBERS_IMPORTED, "build", "2024-04", "--force"], **QUIET)
        assert dialled in (example / "dist/2024-04/post.html").read_text()
        return done.stdout.splitlines()[-1]

    memo = phones.memo_path()
    assert build() == "phonenumbers imported: True exit: 0"
    assert json.loads(memo.read_text())["installs"][-1]["numbers"] == {"US (878) 688-7378": [True, "+18786887378"]}
    assert build() == "phonenumbers imported: False exit: 0"

    edit(example / "monthlypost.toml", PHONE, 'phone = "020 7946 0018"\nphone_country = "GB"\n')
    assert build("tel:+442079460018") == "phonenumbers imported: True exit: 0"  # a new number is asked about
    edit(example / "monthlypost.toml", 'phone = "020 7946 0018"\nphone_country = "GB"\n', PHONE)

    # what another phonenumbers said (before an upgrade) is not taken; nor is a damaged file
    (kept,) = json.loads(memo.read_text())["installs"]
    another = {**kept, "phonenumbers": "another", "numbers": {"US (878) 688-7378": [True, "+1"]}}
    memo.write_text(json.dumps({"installs": [another]}))
    assert build() == "phonenumbers imported: True exit: 0"
    memo.write_text('{"phonenumbers": ')
    assert build() == "phonenumbers imported: True exit: 0"
    assert build() == "phonenumbers imported: False exit: 0"


def test_check_remembers_nothing_of_the_phone_number(example):
    done = subprocess.run([sys.executable, "-c", PHONENUMBERS_IMPORTED, "check", "2024-04"], **QUIET)
    assert done.stdout.splitlines()[-1] == "phonenumbers imported: True exit: 0"
    assert not phones.memo_path().exists()


def test_a_phone_without_a_country_is_a_warning_and_a_country_that_is_none_an_error(example):
    edit(example / "monthlypost.toml", 'phone_country = "US"\n', "")
    result = run("build", "2024-04")
    assert result.exit_code == 0
    assert (
        "Warning: monthlypost.toml: [author] phone: '(878) 688-7378' has no country code, so its tel: link dials "
        "it only from a phone in the same country" in result.stderr
    )
    assert "tel:8786887378" in (example / "dist/2024-04/post.html").read_text()
    edit(
        example / "monthlypost.toml", 'phone = "(878) 688-7378"\n', 'phone = "(878) 688-7378"\nphone_country = "USA"\n'
    )
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "Error: monthlypost.toml: [author] phone_country: 'USA' is not a country code like 'US'" in result.stderr
    edit(example / "monthlypost.toml", 'phone_country = "USA"', 'phone_country = "US"')
    edit(example / "monthlypost.toml", 'phone = "(878) 688-7378"', 'phone = "12"')
    result = run("build", "2024-04")
    assert "Warning: monthlypost.toml: [author] phone: '12' is not a phone number in US" in result.stderr


def test_each_install_of_phonenumbers_keeps_its_own_answers(monkeypatch):
    """Two installs of monthlypost (pipx's and a development one) do not overwrite each other's answers; the
    file keeps those of the last few installs to learn something."""
    monkeypatch.setattr(phones, "KEPT_INSTALLS", 3)
    installs = [f"/lib/{n}/phonenumbers/__init__.py:1:{n}" for n in range(4)]

    def run_from(install: str, phone: str = "(878) 688-7378") -> phones.Number:
        monkeypatch.setattr(phones, "_stamp", lambda: install)
        monkeypatch.setattr(phones, "_memo", phones._Memo())
        found = phones.number(phone, "US")
        phones.remember()
        return found

    for install in installs[:2]:
        run_from(install)
    with monkeypatch.context() as without:
        without.setitem(sys.modules, "phonenumbers", None)  # an import of it fails: the answers are the file's
        for install in installs[:2]:
            assert run_from(install) == phones.Number(True, "+18786887378")
        with pytest.raises(ImportError):
            run_from(installs[0], "(878) 688-7379")  # a number neither was asked about
    run_from(installs[2])
    run_from(installs[3])
    kept = json.loads(phones.memo_path().read_text())["installs"]
    assert [install["phonenumbers"] for install in kept] == installs[1:]  # the oldest is forgotten


def test_the_remembered_phone_numbers_are_the_newest_few(monkeypatch):
    monkeypatch.setattr(phones, "KEPT_MOST", 3)
    numbers = [f"(878) 688-737{digit}" for digit in range(5)]
    for number in numbers:
        assert phones.number(number, "US").dialled == "+1878688737" + number[-1]
    phones.remember()
    kept = json.loads(phones.memo_path().read_text())["installs"][-1]["numbers"]
    assert list(kept) == [f"US {number}" for number in numbers[2:]]
    assert phones.number(numbers[4], "US") == phones.Number(True, "+18786887374")
