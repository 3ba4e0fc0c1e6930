"""blog push against a real WordPress (Debian's package, PHP's built-in server, MariaDB: tests/wordpress.py),
on 127.0.0.1: the post as the site and its block editor see it, updates, backups and restores, images,
categories and tags, and the ways a login fails, each produced by WordPress itself."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import REPO, add_blog, edit, publish_at, run
from .wordpress import PASSWORD, USER

SCRIPT = "campaigns/2024-04/script.md"
POSTS = ".monthlypost/blog-posts.json"


def use_site(root, site, monkeypatch) -> None:
    add_blog(root, f'platform = "wordpress"\napi_url = "{site.url}"\n')
    monkeypatch.setenv("MONTHLYPOST_BLOG_USER", site.user)
    monkeypatch.setenv("MONTHLYPOST_BLOG_PASSWORD", site.app_password)


@pytest.fixture
def site(example, wordpress, monkeypatch):
    use_site(example, wordpress, monkeypatch)
    return wordpress


def push(*args: str):
    return run("blog", "push", *args)


def recorded(root, month: str = "2024-04") -> dict:
    return json.loads((root / POSTS).read_text())[month]


def blocks(site, post_id: str) -> list[dict]:
    """The post's content as WordPress itself parses it into blocks (parse_blocks), names and attributes."""
    code = (
        f"$post = get_post({int(post_id)});"
        "$walk = function ($blocks) use (&$walk) { $out = []; foreach ($blocks as $b) { if ($b['blockName'] === null "
        "&& trim($b['innerHTML']) === '') continue; $out[] = ['name' => $b['blockName'], 'attrs' => $b['attrs'], "
        "'inner' => $walk($b['innerBlocks'])]; } return $out; };"
        "echo json_encode($walk(parse_blocks($post->post_content)));"
    )
    return json.loads(site.php(code))


def names(found: list[dict]) -> list[str]:
    return [b["name"] for b in found] + [n for b in found for n in names(b["inner"])]


def test_the_example_month_lands_as_a_draft_made_of_blocks(site, example, monkeypatch):
    made = site.rest("POST", "/wp/v2/categories", json={"name": "Video Tips"}).json()
    edit(example / "monthlypost.toml", 'platform = "wordpress"', 'platform = "wordpress"\ncategories = ["Video Tips"]')
    result = push("2024-04")
    assert result.exit_code == 0, result.output
    record = recorded(example)
    assert f"2024-04: draft created on the site (post {record['id']}: " in result.stdout
    post = site.post(record["id"])
    assert post["status"] == "draft"
    assert post["title"]["raw"] == "Why Your Hip Pain Keeps Coming Back"
    assert post["slug"] == "why-your-hip-pain-keeps-coming-back"
    assert post["excerpt"]["raw"].startswith("The back-burner reasons your hip pain keeps coming back")
    assert post["date_gmt"] == "2024-04-01T09:00:00"
    assert post["categories"] == [made["id"]]
    tags = {t["id"]: t["name"] for t in site.rest("GET", "/wp/v2/tags", params={"per_page": 100}).json()}
    assert sorted(tags[t] for t in post["tags"]) == sorted(
        [
            "Patrick Lerouge",
            "livepainfreeprocess.com",
            "hip pain keeps coming back",
            "hip pain",
            "piriformis",
            "gluteus medius",
            "hip flexors",
            "trigger points",
        ]
    )
    found = blocks(site, record["id"])
    assert None not in names(found)  # no Classic (freeform) block: every part is a block of its own
    assert found[0]["name"] == "core/embed" and found[0]["attrs"]["providerNameSlug"] == "youtube"
    assert found[0]["attrs"]["url"] == "https://www.youtube.com/watch?v=hipPain2404"
    assert {"core/heading", "core/list", "core/list-item", "core/paragraph"} <= set(names(found))
    assert "Enjoy the video. It explains more of why your hip pain keeps coming back." in post["content"]["raw"]
    assert "(878) 688-7378 (TRU 688 REST)" in post["content"]["raw"]


def test_the_block_editor_opens_every_block_as_valid(site, example, browser):
    assert push("2024-04").exit_code == 0
    post_id = recorded(example)["id"]
    page = browser.new_page()
    try:
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site.url) else route.abort())
        page.goto(f"{site.url}/wp-login.php")
        page.fill("#user_login", USER)
        page.fill("#user_pass", PASSWORD)
        page.click("#wp-submit")
        page.wait_for_url("**/wp-admin/**", timeout=60000)
        page.goto(f"{site.url}/wp-admin/post.php?post={post_id}&action=edit")
        page.wait_for_function(
            "window.wp && wp.data && wp.data.select('core/block-editor').getBlocks().length > 0", timeout=120000
        )
        seen = page.evaluate(
            "() => { const walk = bs => bs.flatMap(b => [[b.name, b.isValid], ...walk(b.innerBlocks)]);"
            " return walk(wp.data.select('core/block-editor').getBlocks()); }"
        )
    finally:
        page.close()
    assert seen and all(valid for _, valid in seen), seen
    assert "core/freeform" not in [name for name, _ in seen] and "core/missing" not in [name for name, _ in seen]


def test_a_second_push_sends_nothing(site, example):
    assert push().exit_code == 0
    before = site.post(recorded(example)["id"])
    result = push()
    assert result.exit_code == 0
    assert result.stdout == "2024-04: unchanged, nothing sent\n"
    after = site.post(recorded(example)["id"])
    assert after["modified_gmt"] == before["modified_gmt"]
    assert int(site.sql("SELECT COUNT(*) FROM wp_posts WHERE post_type = 'post'")) == 2  # ours, and Hello world


def test_a_slug_in_arabic_lands_as_the_sites_own_and_a_second_push_sends_nothing(site, example):
    edit(example / "campaigns/2024-04/topic.toml", "Why Your Hip Pain Keeps Coming Back", "لماذا يعود ألم الورك؟")
    result = push("2024-04")
    assert result.exit_code == 0, result.output
    post = site.post(recorded(example)["id"])
    assert (
        post["slug"]
        == "%d9%84%d9%85%d8%a7%d8%b0%d8%a7-%d9%8a%d8%b9%d9%88%d8%af-%d8%a3%d9%84%d9%85-%d8%a7%d9%84%d9%88%d8%b1%d9%83"
    )
    assert push("2024-04").stdout == "2024-04: unchanged, nothing sent\n"  # WordPress's %-encoded slug is ours
    edit(example / SCRIPT, "Enjoy the video.", "Enjoy the video, says the script.")
    shown = push("--dry-run").stdout
    assert "+Enjoy the video, says the script." in shown and "Slug:" not in shown  # the slug is not a change


def test_an_edit_to_the_script_updates_the_same_post_after_showing_it(site, example):
    assert push().exit_code == 0
    post_id = recorded(example)["id"]
    edit(example / SCRIPT, "Enjoy the video.", "Enjoy the video, now on the blog.")
    result = push("--yes")
    assert result.exit_code == 0, result.output
    assert (
        "+Enjoy the video, now on the blog. It explains more of why your hip pain keeps coming back." in result.stdout
    )
    assert f"2024-04: post updated on the site (post {post_id}: " in result.stdout
    post = site.post(post_id)
    assert "now on the blog" in post["content"]["raw"] and post["status"] == "draft"
    assert recorded(example)["id"] == post_id
    (backup,) = (example / ".monthlypost/blog-backups" / f"wordpress-{post_id}").glob("*.json")
    assert "Enjoy the video. It explains" in json.loads(backup.read_text())["post"]["content"]


def test_a_published_post_edited_on_the_site_is_not_overwritten_without_a_yes_and_restore_brings_it_back(site, example):
    assert push().exit_code == 0
    post_id = recorded(example)["id"]
    content = site.post(post_id)["content"]["raw"]
    edited = content.replace("Enjoy the video.", "Enjoy the video (edited on the site).")
    answer = site.rest("POST", f"/wp/v2/posts/{post_id}", json={"status": "publish", "content": edited})
    assert answer.status_code == 200, answer.text
    edit(example / SCRIPT, "Enjoy the video.", "Enjoy the video, says the script.")
    result = push()  # no terminal to ask on, and no --yes
    assert result.exit_code == 1
    assert "this post is live on the site (publish): readers see the change at once" in result.stdout
    assert "the post was edited on the site since monthlypost last pushed it" in result.stdout
    assert "no terminal to ask on, so nothing was sent; rerun with --yes" in result.stderr
    assert "(edited on the site)" in site.post(post_id)["content"]["raw"]
    result = push("--yes")
    assert result.exit_code == 0, result.output
    post = site.post(post_id)
    assert "says the script" in post["content"]["raw"] and post["status"] == "publish"  # still live
    result = run("blog", "restore", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    assert "-Enjoy the video, says the script." in result.stdout
    assert "2024-04: post restored on the site" in result.stdout
    post = site.post(post_id)
    assert "(edited on the site)" in post["content"]["raw"] and post["status"] == "publish"
    assert "says the script" in push("--dry-run").stdout  # the next push shows the difference again


def test_images_are_uploaded_once_with_their_alt_text_and_the_post_points_at_them(wordpress, tmp_path, monkeypatch):
    root = tmp_path / "knee"
    shutil.copytree(REPO / "tests/workspaces/knee", root)
    monkeypatch.chdir(root)
    use_site(root, wordpress, monkeypatch)
    result = push("2024-05")
    assert result.exit_code == 0, result.output
    record = recorded(root, "2024-05")
    media = wordpress.rest("GET", "/wp/v2/media", params={"per_page": 100, "context": "edit"}).json()
    (image,) = media  # the script's one image (img/calf-roll.png), once
    assert image["alt_text"] == "A foam roller under the calf"
    assert image["source_url"].endswith("/calf-roll.png")
    post = wordpress.post(record["id"])
    for item in media:
        assert item["source_url"] in post["content"]["raw"]
    assert "img/" not in post["content"]["raw"].replace("wp-content/uploads", "")
    assert post["featured_media"] in [m["id"] for m in media]
    with (root / "campaigns/2024-05-knee/script.md").open("a") as script:
        script.write("\nOne more line.\n")
    result = push("2024-05", "--yes")
    assert result.exit_code == 0, result.output
    assert "+One more line." in result.stdout
    assert len(wordpress.rest("GET", "/wp/v2/media", params={"per_page": 100}).json()) == 1  # not uploaded again


def test_a_category_the_site_lacks_is_an_error_before_anything_is_written(site, example):
    edit(example / "monthlypost.toml", 'platform = "wordpress"', 'platform = "wordpress"\ncategories = ["Video Tips"]')
    result = push()
    assert result.exit_code == 1
    assert "[blog] categories: the site has no category 'Video Tips'; make it in WordPress" in result.stderr
    assert int(site.sql("SELECT COUNT(*) FROM wp_posts WHERE post_type = 'post'")) == 1


def test_a_slug_taken_by_another_post_is_an_error_before_anything_is_written(site, example):
    site.rest(
        "POST",
        "/wp/v2/posts",
        json={"title": "Older", "slug": "why-your-hip-pain-keeps-coming-back", "status": "publish"},
    )
    result = push()
    assert result.exit_code == 1
    assert "slug: 'why-your-hip-pain-keeps-coming-back' is taken on the site by another post" in result.stderr
    assert int(site.sql("SELECT COUNT(*) FROM wp_posts WHERE post_type = 'post'")) == 2


@pytest.mark.parametrize("how", ["deleted", "trashed"])
def test_a_post_deleted_on_the_site_is_made_anew(site, example, how):
    assert push().exit_code == 0
    old = recorded(example)["id"]
    site.rest("DELETE", f"/wp/v2/posts/{old}", params={"force": "true" if how == "deleted" else "false"})
    result = push()
    assert result.exit_code == 0, result.output
    assert "the post was deleted on the site (or is in its trash); making a new one" in result.stdout
    assert "draft created anew on the site" in result.stdout
    assert recorded(example)["id"] != old


def test_a_site_without_pretty_permalinks(site, example):
    site.php("update_option('permalink_structure', ''); flush_rewrite_rules();")
    result = push()
    assert result.exit_code == 0, result.output
    assert site.post(recorded(example)["id"])["status"] == "draft"


# --- Logins WordPress refuses ---------------------------------------------------------------------------------


def test_a_login_name_mistaken_for_the_passwords_name(site, monkeypatch):
    monkeypatch.setenv("MONTHLYPOST_BLOG_USER", "monthlypost")
    result = push()
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: WordPress: WordPress has no author 'monthlypost': MONTHLYPOST_BLOG_USER is the name you sign in to "
        "WordPress with (Users → Profile → Username), not the name you gave the application password\n"
    )


def test_a_sign_in_password_instead_of_an_application_password(site, monkeypatch):
    monkeypatch.setenv("MONTHLYPOST_BLOG_PASSWORD", PASSWORD)
    result = push()
    assert result.exit_code == 1
    assert "WordPress did not accept the login of 'patrick': MONTHLYPOST_BLOG_PASSWORD must be one of their " in (
        result.stderr
    )
    assert PASSWORD not in result.output


def plugin(site, name: str, code: str) -> None:
    folder = site.root / "wp-content" / "mu-plugins"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.php").write_text(f"<?php\n{code}\n")


@pytest.fixture
def plugins(site):
    yield lambda name, code: plugin(site, name, code)
    shutil.rmtree(site.root / "wp-content" / "mu-plugins", ignore_errors=True)


def test_a_host_that_drops_the_authorization_header(site, plugins):
    plugins("strip", "unset($_SERVER['HTTP_AUTHORIZATION'], $_SERVER['PHP_AUTH_USER'], $_SERVER['PHP_AUTH_PW']);")
    result = push()
    assert result.exit_code == 1
    assert "the site's web server drops the Authorization header before WordPress sees it" in result.stderr
    assert 'SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1' in result.stderr
    assert result.stderr.count("\n") == 1  # one line


def test_a_security_plugin_that_turns_application_passwords_off(site, plugins):
    plugins("off", "add_filter('wp_is_application_passwords_available', '__return_false');")
    result = push()
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: WordPress: the site has application passwords turned off: a security ")


def test_a_user_who_may_not_write_posts(site, monkeypatch):
    made = site.php(
        "$id = wp_insert_user(['user_login' => 'reader', 'user_pass' => 'x-pass-1', 'role' => 'subscriber']);"
        "$app = WP_Application_Passwords::create_new_application_password($id, ['name' => 'm']); echo $app[0];"
    )
    monkeypatch.setenv("MONTHLYPOST_BLOG_USER", "reader")
    monkeypatch.setenv("MONTHLYPOST_BLOG_PASSWORD", made.strip())
    result = push()
    assert result.exit_code == 1
    assert "WordPress: 'reader' may not write posts or upload images on the site; ask its administrator" in (
        result.stderr
    )


# --- A broken or hostile gateway in front of the site ---------------------------------------------------------


@pytest.fixture
def gateway(example, wordpress, monkeypatch):
    from .gateway import Gateway

    served = Gateway(wordpress.url).start()
    use_site(example, wordpress, monkeypatch)
    edit(example / "monthlypost.toml", f'api_url = "{wordpress.url}"', f'api_url = "{served.origin}"')
    yield served
    served.stop()


@pytest.mark.parametrize("then", ["504", "drop"])
def test_a_create_whose_answer_is_lost_leaves_one_post(gateway, wordpress, example, then):
    gateway.then_fail, gateway.fail_on = [then], "/wp/v2/posts"  # the site makes the post; its answer is lost
    result = push()
    assert result.exit_code == 0, result.output
    assert int(wordpress.sql("SELECT COUNT(*) FROM wp_posts WHERE post_type = 'post'")) == 2
    assert wordpress.post(recorded(example)["id"])["slug"] == "why-your-hip-pain-keeps-coming-back"
    assert push().stdout.startswith("2024-04: unchanged")


def test_a_redirect_to_another_host_is_never_followed(gateway, wordpress, example):
    from .fake_mail import FakeMail

    elsewhere = FakeMail("kit").start()
    try:
        gateway.redirect = elsewhere.url + "/collect"
        result = push()
        assert result.exit_code == 1
        assert "monthlypost never sends your key or your newsletter on to another host" in result.stderr
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()


def test_a_password_quoted_back_in_an_error_is_never_shown(gateway, wordpress, example, monkeypatch):
    import base64

    gateway.echo_headers = True
    monkeypatch.setenv("MONTHLYPOST_BLOG_PASSWORD", "not-the-right-one")
    result = push()
    assert result.exit_code == 1
    assert "not-the-right-one" not in result.output
    assert base64.b64encode(b"patrick:not-the-right-one").decode() not in result.output


# --- blog push --schedule: WordPress's own future status ------------------------------------------------------


def test_schedule_makes_the_post_future_at_publish_at_across_summer_time(site, example):
    publish_at(example, "2099-07-15T09:00")
    result = push("2024-04", "--schedule", "--yes")
    assert result.exit_code == 0, result.output
    post = site.post(recorded(example)["id"])
    assert (post["status"], post["date_gmt"]) == ("future", "2099-07-15T08:00:00")  # 09:00 British Summer Time
    assert recorded(example)["status"] == "future"
    edit(example / "campaigns/2024-04/topic.toml", "publish_at = 2099-07-15T09:00", "publish_at = 2099-01-15T09:00")
    moved = push("2024-04", "--schedule", "--yes")
    assert moved.exit_code == 0, moved.output
    post = site.post(recorded(example)["id"])
    assert (post["status"], post["date_gmt"]) == ("future", "2099-01-15T09:00:00")  # Greenwich Mean Time
    back = push("2024-04", "--unschedule", "--yes")
    assert back.exit_code == 0, back.output
    assert site.post(recorded(example)["id"])["status"] == "draft"


def test_a_moment_passed_makes_no_post_and_a_published_one_is_never_taken_back(site, example):
    publish_at(example, "2020-07-15T09:00")  # WordPress would publish a post dated in the past at once
    result = push("2024-04", "--schedule", "--yes")
    assert result.exit_code == 1
    assert "publish_at: the post's moment, 2020-07-15T09:00:00+01:00, has passed" in result.stderr
    assert not (example / POSTS).exists() or "id" not in recorded(example)
    edit(example / "campaigns/2024-04/topic.toml", "publish_at = 2020-07-15T09:00", "publish_at = 2099-07-15T09:00")
    assert push("2024-04").exit_code == 0
    post_id = recorded(example)["id"]
    # published by hand (WordPress itself makes a post dated ahead "future", so it is dated back to publish it)
    site.rest("POST", f"/wp/v2/posts/{post_id}", json={"status": "publish", "date_gmt": "2024-04-01T08:00:00"})
    assert site.post(post_id)["status"] == "publish"
    result = push("2024-04", "--schedule", "--yes")
    assert result.exit_code == 1
    assert "the post is live on the site (publish); monthlypost never takes a live post back" in result.stderr
    assert site.post(post_id)["status"] == "publish"
