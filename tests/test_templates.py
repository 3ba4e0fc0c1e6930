"""A workspace's templates/ overrides the defaults by file name, and can extend them."""

from monthlypost.render import DEFAULT_TEMPLATES

from .conftest import REPO, run, write


def test_the_defaults_are_the_repositorys_templates_folder():
    assert DEFAULT_TEMPLATES.resolve() == (REPO / "templates").resolve()
    assert {p.name for p in DEFAULT_TEMPLATES.iterdir()} >= {"post.html", "post.md", "youtube.txt"}


def test_a_workspace_template_replaces_the_default(example):
    write(example / "templates/youtube.txt", "{{ summary }}\n\nMy own words. {{ hashtags | join(' ') }}\n")
    assert run("build").exit_code == 0
    text = (example / "dist/2024-04/youtube.txt").read_text()
    assert text.endswith("My own words. HipPain TriggerPoints LivePainFree\n")
    assert "Phone:" not in text
    assert "Phone: <a" in (example / "dist/2024-04/post.html").read_text()  # other outputs keep the defaults


def test_an_override_can_extend_the_default_it_replaces(example):
    write(
        example / "templates/post.html",
        """
        {% extends "default/post.html" %}
        {% block key_points %}<p class="mine">In short: {{ key_points | length }} points.</p>{% endblock %}
        """,
    )
    assert run("build").exit_code == 0
    page = (example / "dist/2024-04/post.html").read_text()
    assert '<p class="mine">In short: 6 points.</p>' in page
    assert "<h2>Key points</h2>" not in page
    assert "<h1>Why Your Hip Pain Keeps Coming Back</h1>" in page  # the rest is the default's


def test_a_mistake_in_a_template_names_the_template_and_line(example):
    write(example / "templates/post.md", "---\ntitle: {{ title }}\n---\n{{ no_such_value }}\n")
    result = run("build")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: templates/post.md: line 4: 'no_such_value' is undefined\n")

    write(example / "templates/post.md", "{% if %}\n")
    result = run("build")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: templates/post.md: line 1: ")
