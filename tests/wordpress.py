"""A real WordPress on 127.0.0.1 for blog push's tests: Debian's wordpress package, run by PHP's built-in
server, on a MariaDB of its own, all in a temporary folder.

Once a test session: MariaDB's data folder is made and the server started (on a socket, no network); the
site's files are copied from /usr/share/wordpress and given a wp-config.php (application passwords over
http through WP_ENVIRONMENT_TYPE 'local', no request ever leaving this machine through
WP_HTTP_BLOCK_EXTERNAL, no cron); WordPress is installed with a user and an application password, and
its database dumped. Before each test the database is loaded from that dump again and the uploads emptied,
so every test starts from the same fresh site.

Missing (apt-get install wordpress wordpress-theme-twentytwentythree php-cli php-mysql mariadb-server), the
tests skip, saying so; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

WORDPRESS = Path("/usr/share/wordpress")
INSTALL = "apt-get install wordpress wordpress-theme-twentytwentythree php-cli php-mysql mariadb-server (.ci/run does)"
USER, PASSWORD = "patrick", "sign-in-password-42"


def missing() -> str | None:
    needed = {
        "WordPress": (WORDPRESS / "wp-settings.php").exists(),
        "php": shutil.which("php") is not None,
        "mariadbd": shutil.which("mariadbd") is not None or Path("/usr/sbin/mariadbd").exists(),
        "mariadb-install-db": shutil.which("mariadb-install-db") is not None,
        "php-mysql": subprocess.run(["php", "-m"], capture_output=True, text=True).stdout.count("mysqli") > 0
        if shutil.which("php")
        else False,
    }
    lacking = [name for name, there in needed.items() if not there]
    return f"needs a local WordPress ({', '.join(lacking)} missing): {INSTALL}" if lacking else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {seconds} s")


CONFIG = """<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:{socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT',
          'LOGGED_IN_SALT', 'NONCE_SALT'] as $name) {{ define($name, 'monthlypost test site ' . $name); }}
$table_prefix = 'wp_';
define('WP_ENVIRONMENT_TYPE', 'local');    // application passwords over plain http, on this machine only
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);     // no request leaves this machine (oEmbed, updates, fonts)
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_CONTENT_DIR', '{content}');
define('WP_CONTENT_URL', '{url}/wp-content');
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"""

INSTALLER = """<?php
function wp_mail() {{ return true; }}  // the install's welcome email goes nowhere
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = '{host}';
require '{site}/wp-load.php';
require ABSPATH . 'wp-admin/includes/upgrade.php';
$installed = wp_install('Live Pain Free', '{user}', 'patrick@example.com', false, '', '{password}');
update_option('permalink_structure', '/%postname%/');
switch_theme('twentytwentythree');
$app = WP_Application_Passwords::create_new_application_password($installed['user_id'], ['name' => 'monthlypost']);
echo json_encode(['password' => $app[0]]);
"""

# Requests that are not files go to WordPress, as Apache's rewrite rules would send them (pretty permalinks).
ROUTER = """<?php
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$file = '{site}' . $path;
if ($path !== '/' && is_file($file)) return false;
if (is_dir($file) && is_file($file . '/index.php')) {{
    $_SERVER['SCRIPT_NAME'] = rtrim($path, '/') . '/index.php';
    require $file . '/index.php';
    return;
}}
$_SERVER['SCRIPT_NAME'] = '/index.php';
require '{site}/index.php';
"""


@dataclass
class Site:
    url: str
    user: str
    app_password: str
    root: Path
    socket: Path

    def sql(self, statement: str) -> str:
        done = subprocess.run(
            ["mariadb", "-S", str(self.socket), "-u", "root", "-N", "-B", "wordpress", "-e", statement],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def php(self, code: str) -> str:
        """PHP run inside the site (WordPress loaded), as a plugin or the site's owner would; its output."""
        script = self.root / "run.php"
        host = self.url.removeprefix("http://")
        script.write_text(
            f"<?php\n$_SERVER['HTTP_HOST'] = '{host}';\nrequire '{self.root / 'site'}/wp-load.php';\n{code}\n"
        )
        return subprocess.run(["php", str(script)], capture_output=True, text=True, check=True).stdout

    def rest(self, method: str, route: str, **kwargs) -> requests.Response:
        """The REST API as the site's administrator, in a browser or an app, would use it."""
        return requests.request(
            method, f"{self.url}/wp-json{route}", auth=(self.user, self.app_password), timeout=60, **kwargs
        )

    def post(self, post_id: str) -> dict:
        answer = self.rest("GET", f"/wp/v2/posts/{post_id}", params={"context": "edit"})
        answer.raise_for_status()
        return answer.json()


def start(base: Path) -> tuple[Site, list[subprocess.Popen]]:
    processes: list[subprocess.Popen] = []
    data, sock = base / "db", base / "mariadb.sock"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            "mariadb-install-db",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *as_root,
        ],
        capture_output=True,
        check=True,
    )
    daemon = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    processes.append(
        subprocess.Popen(
            [
                daemon,
                f"--datadir={data}",
                f"--socket={sock}",
                "--skip-networking",
                f"--pid-file={base / 'db.pid'}",
                f"--log-error={base / 'db.log'}",
                *as_root,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    wait_for(
        lambda: (
            subprocess.run(["mariadb", "-S", str(sock), "-u", "root", "-e", "SELECT 1"], capture_output=True).returncode
            == 0
        ),
        "MariaDB",
    )
    subprocess.run(["mariadb", "-S", str(sock), "-u", "root", "-e", "CREATE DATABASE wordpress"], check=True)
    site = base / "site"
    shutil.copytree(WORDPRESS, site, symlinks=True)
    content = base / "wp-content"
    shutil.copytree(WORDPRESS / "wp-content", content, symlinks=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (site / "wp-config.php").write_text(CONFIG.format(socket=sock, url=url, content=content))
    (base / "install.php").write_text(
        INSTALLER.format(host=f"127.0.0.1:{port}", site=site, user=USER, password=PASSWORD)
    )
    installed = subprocess.run(["php", str(base / "install.php")], capture_output=True, text=True, check=True)
    app_password = json.loads(installed.stdout.strip().splitlines()[-1])["password"]
    (base / "router.php").write_text(ROUTER.format(site=site))
    env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "4"}
    processes.append(
        subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{port}", "-t", str(site), str(base / "router.php")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a group of its own, stopped whole: its workers outlive a stopped master
        )
    )

    def answers() -> bool:
        try:
            return requests.get(f"{url}/wp-json/", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    wait_for(answers, "WordPress")
    dump = subprocess.run(
        ["mariadb-dump", "-S", str(sock), "-u", "root", "wordpress"], capture_output=True, check=True
    ).stdout
    (base / "fresh.sql").write_bytes(dump)
    return Site(url, USER, app_password, base, sock), processes


def fresh(site: Site) -> None:
    """The site as it was just after its install: the database reloaded, the uploads gone."""
    with (site.root / "fresh.sql").open("rb") as dump:
        subprocess.run(["mariadb", "-S", str(site.socket), "-u", "root", "wordpress"], stdin=dump, check=True)
    shutil.rmtree(site.root / "wp-content" / "uploads", ignore_errors=True)


def stop(processes: list[subprocess.Popen]) -> None:
    """Each process stopped, and with a group of its own, every process in it (PHP's server's workers)."""
    for process in reversed(processes):
        group = process.pid if os.getpgid(process.pid) == process.pid else None
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if group is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)


@pytest.fixture(scope="session")
def wordpress_site(tmp_path_factory):
    reason = missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    site, processes = start(tmp_path_factory.mktemp("wordpress"))
    yield site
    stop(processes)


@pytest.fixture
def wordpress(wordpress_site):
    """A fresh WordPress site for this test."""
    fresh(wordpress_site)
    return wordpress_site
