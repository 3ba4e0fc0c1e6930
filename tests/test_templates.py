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


def test_what_a_template_writer_uses_works_in_the_sandbox(example):
    """The sandbox keeps templates away from Python's internals, not from the language a template is written in."""
    write(
        example / "templates/youtube.txt",
        """
        {% macro item(n, text) %}{{ n }}. {{ text | upper }}{% endmacro %}
        {% set ns = namespace(count=0) %}
        {% for point in key_points[:2] %}{{ item(loop.index, point) }} {{ loop.cycle('odd', 'even') }}
        {% set ns.count = ns.count + 1 %}{% endfor %}
        {{ ns.count }} shown; {{ '{:,}'.format(12345) }}; {{ '%s-%s' % (month, slug) }}; {{ date.isoformat() }}
        {{ video | dictsort | map('first') | join(',') }}; {{ contact | map(attribute='label') | join('/') }}
        {{ author.name.split(' ') | first }} {{ chapters | length }} {{ range(3) | list }} {{ {'a': 1}.items() | list }}
        """,
    )
    result = run("build")
    assert result.exit_code == 0, result.output
    lines = (example / "dist/2024-04/youtube.txt").read_text().splitlines()
    assert lines[0].startswith("1. RECURRING HIP PAIN COMES FROM") and lines[0].endswith(" odd")
    assert lines[1].startswith("2. PIRIFORMIS REFERS PAIN") and lines[1].endswith(" even")
    assert lines[2:] == [
        "2 shown; 12,345; 2024-04-why-your-hip-pain-keeps-coming-back; 2024-04-01",
        "embed_url,id,thumbnail,url; Phone/Email/Website",
        "Patrick 0 [0, 1, 2] [('a', 1)]",
    ]


def test_a_workspace_without_templates_renders_monthlyposts_own_outside_the_sandbox(example):
    """monthlypost's own templates are trusted; any template of the workspace's, even an empty templates/ folder
    beside them, puts every template of the run in the sandbox."""
    import jinja2

    from monthlypost.render import Sandbox
    from monthlypost.workspace import Workspace

    plain = Workspace(example)
    assert plain.sources.workspace is None
    assert type(plain.jinja) is jinja2.Environment
    (example / "templates").mkdir()
    assert isinstance(Workspace(example).jinja, Sandbox)
    assert type(plain.jinja) is jinja2.Environment  # decided once, as the run started

    # a template that appears during a run is not read by it: never rendered outside the sandbox
    write(example / "templates/youtube.txt", "{{ ''.__class__.__mro__ }}\n")
    template = plain.jinja.get_template("youtube.txt")
    assert template.filename == str(DEFAULT_TEMPLATES / "youtube.txt")
    result = run("build")  # the next run reads it, in the sandbox
    assert result.exit_code == 1
    assert "templates/youtube.txt: line 1: " in result.stderr


def test_code_compiled_outside_the_sandbox_never_runs_in_it(example):
    """The template cache keeps each kind's compiled code apart: the default post.html, asked for by the same
    name, from the same file, with the same checksum, is compiled again for the sandbox."""
    from monthlypost.render import COMPILED, Sandbox
    from monthlypost.workspace import Workspace

    assert run("build").exit_code == 0
    cache = next((example / ".monthlypost/cache").iterdir())
    trusted = {p.name.removeprefix("trusted-") for p in cache.iterdir()}
    assert trusted and all(p.name.startswith("trusted-") for p in cache.iterdir())
    (example / "templates").mkdir()  # empty: post.html is still the default's
    env = Workspace(example).jinja
    assert isinstance(env, Sandbox)
    env.get_template("post.html")
    sandboxed = {p.name.removeprefix(f"{COMPILED}-") for p in cache.iterdir() if p.name.startswith(COMPILED)}
    assert len(sandboxed) == 1
    assert sandboxed <= trusted  # the same bucket as a trusted file's, compiled anew rather than read from it
