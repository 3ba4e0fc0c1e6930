"""blog push to Ghost, against a fake of its Admin API written from Ghost's reference (tests/fake_ghost.py)."""

from __future__ import annotations

import datetime
import json
import shutil

import pytest

from .conftest import DEEP, REPO, add_blog, edit, publish_at, run
from .fake_ghost import KEY, FakeGhost

POSTS = ".monthlypost/blog-posts.json"


@pytest.fixture
def ghost(example, monkeypatch):
    fake = FakeGhost().start()
    use(example, fake, monkeypatch)
    yield fake
    fake.stop()


def use(root, fake, monkeypatch) -> None:
    add_blog(root, f'platform = "ghost"\napi_url = "{fake.origin}"\ncategories = ["Video Tips"]\n')
    monkeypatch.setenv("MONTHLYPOST_BLOG_API_KEY", KEY)


def push(*args: str):
    return run("blog", "push", *args)


def recorded(root, month: str = "2024-04") -> dict:
    return json.loads((root / POSTS).read_text())[month]


def test_the_example_month_lands_as_a_draft_with_the_video_kept(ghost, example):
    result = push()
    assert result.exit_code == 0, result.output
    (post,) = ghost.posts.values()
    assert post["status"] == "draft" and post["title"] == "Why Your Hip Pain Keeps Coming Back"
    assert post["slug"] == "why-your-hip-pain-keeps-coming-back"
    assert post["custom_excerpt"].startswith("The back-burner reasons")
    assert post["published_at"] == "2024-04-01T09:00:00+00:00"
    assert [t["name"] for t in post["tags"]][:2] == ["Video Tips", "Patrick Lerouge"]  # the category first
    assert '<iframe width="560" height="315" src="https://www.youtube-nocookie.com/embed/hipPain2404"' in post["html"]
    assert "<h2>In this video</h2>" in post["html"] and "Enjoy the video." in post["html"]
    assert recorded(example)["id"] == post["id"]
    assert set(ghost.versions) == {"v5.0"}
    for claims in ghost.tokens:  # a token made fresh for each request, for five minutes at most
        assert claims["aud"] == "/admin/" and claims["exp"] - claims["iat"] == 300


def test_a_second_push_sends_nothing_and_an_edit_updates_the_same_post(ghost, example):
    assert push().exit_code == 0
    writes = [r for r in ghost.requests if r[0] != "GET"]
    assert push().stdout == "2024-04: unchanged, nothing sent\n"
    assert [r for r in ghost.requests if r[0] != "GET"] == writes
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video, on Ghost.")
    result = push("--yes")
    assert result.exit_code == 0, result.output
    assert "+Enjoy the video, on Ghost. It explains more" in result.stdout
    (post,) = ghost.posts.values()
    assert "on Ghost" in post["html"] and post["status"] == "draft"
    put = [r for r in ghost.requests if r[0] == "PUT"][-1]
    assert "status" not in put[2]["posts"][0] and put[2]["posts"][0]["updated_at"]


def test_a_published_post_edited_in_ghost_is_backed_up_and_restored(ghost, example):
    assert push().exit_code == 0
    (post_id,) = ghost.posts
    ghost.edit_on_site(post_id, status="published", html=ghost.posts[post_id]["html"] + "<p>Added in Ghost.</p>")
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video, again.")
    result = push()
    assert result.exit_code == 1 and "no terminal to ask on, so nothing was sent" in result.stderr
    assert "this post is live on the site (published)" in result.stdout
    assert "Added in Ghost." in ghost.posts[post_id]["html"]
    assert push("--yes").exit_code == 0
    assert ghost.posts[post_id]["status"] == "published" and "Added in Ghost." not in ghost.posts[post_id]["html"]
    result = run("blog", "restore", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    assert "Added in Ghost." in ghost.posts[post_id]["html"] and ghost.posts[post_id]["status"] == "published"


def test_a_post_changed_in_ghost_while_pushing_is_never_overwritten(ghost, example):
    assert push().exit_code == 0
    (post_id,) = ghost.posts
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video, again.")

    def meanwhile(method, path):
        if method == "PUT":  # saved in Ghost's editor a moment before monthlypost's update arrives
            ghost.edit_on_site(post_id, html="<p>Saved meanwhile.</p>")

    ghost.before = meanwhile
    result = push("--yes")
    assert result.exit_code == 1
    assert "Ghost: the post changed on the site while monthlypost was writing" in result.stderr
    assert "nothing was overwritten" in result.stderr
    assert ghost.posts[post_id]["html"] == "<p>Saved meanwhile.</p>"


def test_an_excerpt_longer_than_ghost_takes_is_cut_with_a_warning(ghost, example):
    long = "A summary " * 40
    edit(example / "campaigns/2024-04/topic.toml", 'summary = "The back-burner', f'summary = "{long}The back-burner')
    result = push()
    assert result.exit_code == 0, result.output
    assert "Ghost takes an excerpt of 300 at most, so the post's is cut at a word" in result.stderr
    (post,) = ghost.posts.values()
    assert len(post["custom_excerpt"]) <= 300 and post["custom_excerpt"].endswith("…")


@pytest.mark.parametrize(
    "title, slug",
    [
        (None, "why-your-hip-pain-keeps-coming-back"),
        ("لماذا يعود ألم الورك؟", "لماذا-يعود-ألم-الورك"),  # percent-encoded in the path, found all the same
    ],
)
def test_a_slug_taken_in_ghost_is_an_error_before_anything_is_written(ghost, example, title, slug):
    if title is not None:
        edit(example / "campaigns/2024-04/topic.toml", "Why Your Hip Pain Keeps Coming Back", title)
    ghost.posts["0" * 24] = {
        "id": "0" * 24,
        "slug": slug,
        "status": "published",
        "updated_at": "x",
        "title": "Older",
        "uuid": "u",
    }
    result = push()
    assert result.exit_code == 1
    assert f"slug: '{slug}' is taken on the site by another post" in result.stderr
    assert len(ghost.posts) == 1


def test_images_are_uploaded_and_the_first_is_the_feature_image(tmp_path, monkeypatch):
    root = tmp_path / "knee"
    shutil.copytree(REPO / "tests/workspaces/knee", root)
    monkeypatch.chdir(root)
    fake = FakeGhost().start()
    try:
        use(root, fake, monkeypatch)
        result = push("2024-05")
        assert result.exit_code == 0, result.output
        (url,) = fake.images
        (post,) = fake.posts.values()
        assert post["feature_image"] == url and f'src="{url}"' in post["html"]
        assert fake.images[url] == (root / "campaigns/2024-05-knee/img/calf-roll.png").read_bytes()
        with (root / "campaigns/2024-05-knee/script.md").open("a") as script:
            script.write("\nOne more line.\n")
        assert push("2024-05", "--yes").exit_code == 0
        assert len([r for r in fake.requests if r[1].endswith("/images/upload/")]) == 1
    finally:
        fake.stop()


def test_a_post_deleted_in_ghost_is_made_anew(ghost, example):
    assert push().exit_code == 0
    (old,) = ghost.posts
    del ghost.posts[old]
    result = push()
    assert "the post was deleted on the site (or is in its trash); making a new one" in result.stdout
    assert list(ghost.posts) != [old] and len(ghost.posts) == 1


@pytest.mark.parametrize(
    "key, says",
    [
        ("not-a-key", "MONTHLYPOST_BLOG_API_KEY is not a Ghost Admin API key: it is the key's id, a colon"),
        (KEY[:-2] + "aa", "Ghost refused the Admin API key (“Invalid token: invalid signature”)"),
        ("aaaaaaaaaaaaaaaaaaaaaaaa:" + "0f" * 32, "Ghost refused the Admin API key (“Unknown Admin API Key”)"),
    ],
)
def test_a_key_ghost_will_not_take(ghost, monkeypatch, key, says):
    monkeypatch.setenv("MONTHLYPOST_BLOG_API_KEY", key)
    result = push()
    assert result.exit_code == 1
    assert says in result.stderr
    assert key not in result.output and ghost.posts == {}


def test_without_a_key(ghost, monkeypatch):
    monkeypatch.delenv("MONTHLYPOST_BLOG_API_KEY")
    result = push()
    assert result.exit_code == 1
    assert "Error: MONTHLYPOST_BLOG_API_KEY is not set: export it with your Ghost Admin API key" in result.stderr


def test_list_shows_each_months_post(ghost, example):
    assert "post" not in run("list").stdout
    assert push().exit_code == 0
    assert run("list").stdout.startswith("2024-04  built      post draft                       Why Your Hip")
    (post_id,) = ghost.posts
    ghost.edit_on_site(post_id, status="published")
    assert push().exit_code == 0  # unchanged here; what the site holds is noted
    assert "post live, edited on the site" in run("list").stdout
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video, again.")
    assert push("--yes").exit_code == 0
    assert "post live  " in run("list").stdout
    edit(example / "campaigns/2024-04/script.md", "again.", "once more.")
    assert run("build").exit_code == 0
    assert "post live, older" in run("list").stdout


def test_a_record_nested_too_deeply_to_read_is_a_clean_error(ghost, example):
    (example / ".monthlypost").mkdir()
    (example / POSTS).write_bytes(DEEP)
    result = push()
    assert result.exit_code == 1
    assert f"Error: {POSTS}: damaged: not what monthlypost wrote there; delete it" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert ghost.posts == {} and (example / POSTS).read_bytes() == DEEP
    assert run("list").exit_code == 0  # its column left empty: blog push says why


def test_a_backup_nested_too_deeply_to_read_is_a_clean_error(ghost, example):
    assert push().exit_code == 0
    (post_id,) = ghost.posts
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video, again.")
    assert push("--yes").exit_code == 0
    (backup,) = (example / ".monthlypost/blog-backups").glob("*/*.json")
    backup.write_bytes(DEEP)
    html = ghost.posts[post_id]["html"]
    result = run("blog", "restore", "2024-04", "--yes")
    assert result.exit_code == 1
    assert f"{backup.name}: not a monthlypost backup of a Ghost post" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert ghost.posts[post_id]["html"] == html


# --- blog push --schedule -----------------------------------------------------------------------------


def test_schedule_makes_the_new_post_scheduled_at_publish_at(ghost, example):
    publish_at(example, "2099-07-15T09:00")
    result = push("2024-04", "--schedule", "--yes")
    assert result.exit_code == 0, result.output
    assert "the post will be scheduled: live at 2099-07-15T08:00:00Z" in result.stdout
    (post,) = ghost.posts.values()
    assert post["status"] == "scheduled"
    assert datetime.datetime.fromisoformat(post["published_at"]) == datetime.datetime(
        2099, 7, 15, 8, tzinfo=datetime.UTC
    )
    assert recorded(example)["status"] == "scheduled"
    again = push("2024-04", "--schedule", "--yes")
    assert "unchanged" in again.stdout
    back = push("2024-04", "--unschedule", "--yes")
    assert back.exit_code == 0, back.output
    assert post["status"] == "draft" and "a draft again" in back.stdout


def test_a_published_post_is_never_scheduled_or_taken_back(ghost, example):
    publish_at(example, "2099-07-15T09:00")
    assert push("2024-04").exit_code == 0
    (post_id,) = ghost.posts
    ghost.edit_on_site(post_id, status="published")
    for option in ("--schedule", "--unschedule"):
        result = push("2024-04", option, "--yes")
        assert result.exit_code == 1
        assert "the post is live on the site (published); monthlypost never takes a live post back" in result.stderr
        assert ghost.posts[post_id]["status"] == "published"
