"""script.md: CommonMark parsed once, rendered as HTML, Markdown and plain text.

Raw HTML is never recognised (it stays text, escaped in HTML output), and
links or images to javascript:, vbscript:, file: or data: addresses are not
made into links at all: their text stays, as text (an image's alt text).
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Callable
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token
    from markdown_it.tree import SyntaxTreeNode

Rewrite = Callable[[str, str], str]
"""(kind, address) → the address to use instead; kind is 'link' or 'image'."""

NESTING_LIMIT = 64  # markdown-it drops whatever lies deeper than this; Script reports it rather than lose text
_UNSAFE_SCHEME = re.compile(r"^\s*(javascript|vbscript|file|data):", re.IGNORECASE)


@cache
def parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # xhtmlOut off: <br>, not <br />; in an HTML5 page the slash means nothing, and the Nu checker says so.
    md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": False, "maxNesting": NESTING_LIMIT})
    # Every link is parsed, so that an unsafe one can be dropped leaving its text, not its Markdown source.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.inline.ruler.before("emphasis", "merge_tag", _merge_tag)
    md.add_render_rule("merge_tag", lambda renderer, tokens, idx, options, env: tokens[idx].content)
    md.add_render_rule("image", _image)
    return md


def _image(renderer: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """An image with its width and height, where its file told them (see Script.measure), so a page keeps its
    room while it loads; no wider than ``env["most_width"]`` where one is given (the email's column, which
    Outlook takes the width attribute as it is for)."""
    token = tokens[idx]
    size = token.meta.get("size")
    if size:
        width, height = size
        most = env.get("most_width") or width
        if width > most:
            width, height = most, max(1, round(height * most / width))
        token = token.copy(attrs={**token.attrs, "width": str(width), "height": str(height)})
        tokens = [*tokens[:idx], token, *tokens[idx + 1 :]]
    token.attrs["alt"] = renderer.renderInlineAsText(token.children, options, env)
    return renderer.renderToken(tokens, idx, options, env)


# A mail provider's merge tags, which it fills in for each subscriber: Mailchimp's *|FNAME|*, the {{ … }}
# and {% … %} of Kit, Buttondown, Brevo and SendGrid (Liquid, Django, Handlebars' {{{ }}}), Mailjet's
# [[…]]. In the script they are kept exactly as written (not read as emphasis or a link), and written into
# the HTML as they are: no character of them needs escaping, as none is <, > or & (text with one is not a tag).
_MERGE_TAG = re.compile(
    r"\*\|[^|*<>&\n]{1,100}\|\*|\{\{\{?[^{}<>&\n]{1,200}\}?\}\}|\{%[^%<>&\n]{1,200}%\}|\[\[[^\[\]<>&\n]{1,200}\]\]"
)


def _merge_tag(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] not in "*{[":
        return False
    found = _MERGE_TAG.match(state.src, state.pos)
    if found is None:
        return False
    if not silent:
        token = state.push("merge_tag", "", 0)
        token.content = found.group(0)
    state.pos = found.end()
    return True


class Reference(NamedTuple):
    """A link or image in the script, for checks and for copying images."""

    kind: str  # "link" | "image"
    url: str
    text: str  # link text, or the image's alt text
    line: int  # 1-based line in script.md


# What markdown-it reads in time that grows with the square of it, bounded before it is read (nothing a
# workspace holds may keep a command busy for more than a few seconds): lists nested by indentation (10,000
# levels took 13 s), lists or quotes opened on one line ('- - - …': 400,000 took 1.5 s), and '[' waiting
# for their ']' (about 2e-8 s times the square of their number in a paragraph: 50,000 took 4.5 s).
MOST_INDENT = 256  # the columns a list item may be indented by: 30 levels at 8 each
MOST_OPENED = 64  # lists or quotes opened at the start of one line
MOST_BRACKETS = 5_000  # the '[' of a paragraph, squared and summed over the script: at most this, squared
_LIST_ITEM = re.compile(r"^([ \t]*)(?:[*+-]|[0-9]{1,9}[.)])(?:[ \t]|$)", re.MULTILINE)
_OPENED = re.compile(rf"^[ \t]*(?:(?:[*+>-]|[0-9]{{1,9}}[.)])[ \t]+){{{MOST_OPENED + 1}}}", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def too_costly(source: str) -> str | None:
    """Why the script would take too long to read ('line N: …'), before it is read; None if it will not."""
    deep = f"lists and quotes nest at most {Script.MAX_DEPTH} levels deep"
    for found in _LIST_ITEM.finditer(source):
        columns = len(found.group(1).expandtabs(4))
        if columns > MOST_INDENT:
            return f"line {_line_of(source, found.start())}: a list item indented by {columns} columns; {deep}"
    opened = _OPENED.search(source)
    if opened:
        return f"line {_line_of(source, opened.start())}: more than {MOST_OPENED} lists or quotes open at once; {deep}"
    if source.count("[") > MOST_BRACKETS:
        counts = [(paragraph.count("["), paragraph) for paragraph in _BLANK_LINES.split(source)]
        if sum(n * n for n, _ in counts) > MOST_BRACKETS**2:
            most, paragraph = max(counts, key=lambda c: c[0])
            return (
                f"line {_line_of(source, source.index(paragraph))}: {most:,} '[' in a paragraph (links and images), "
                f"and {sum(n for n, _ in counts):,} in all, would take too long to read; a paragraph can hold "
                f"{MOST_BRACKETS:,} (fewer where there are many such paragraphs)"
            )
    return None


def _line_of(source: str, at: int) -> int:
    return source.count("\n", 0, at) + 1


class Script:
    """The month's text, parsed once."""

    MAX_DEPTH = NESTING_LIMIT // 2 - 2  # a list level takes two (the list and its item)

    def __init__(self, source: str):
        from markdown_it.tree import SyntaxTreeNode

        self.source = source
        tokens = parser().parse(source)
        self.dropped: list[Reference] = []  # links and images to unsafe addresses, left out
        for token in tokens:
            if token.type == "inline" and token.children:
                token.children = _safe(token.children, (token.map or (0, 0))[0] + 1, self.dropped)
        if any(token.tag == "h1" for token in tokens if token.type == "heading_open"):
            _demote_headings(tokens)
        self.tokens = tokens
        self.tree = SyntaxTreeNode(tokens)
        # The 1-based line where nesting reached markdown-it's limit (and text would be lost), if it did.
        self.truncated_at = next(
            ((t.map or (0, 0))[0] + 1 for t in tokens if t.level >= NESTING_LIMIT - 1 and t.map), None
        )

    @property
    def blocks(self) -> list[SyntaxTreeNode]:
        return list(self.tree.children)

    def excerpt(self, paragraphs: int) -> list[SyntaxTreeNode]:
        """The top-level blocks up to and including the Nth paragraph."""
        taken, count = [], 0
        for block in self.blocks:
            if count == paragraphs:
                break
            taken.append(block)
            count += block.type == "paragraph"
        return taken

    @cached_property
    def _references(self) -> list[Reference]:
        found = []
        for node in self.tree.walk():
            if node.type == "inline":
                line = (node.map or (0, 0))[0] + 1
                for child in node.walk():
                    if child.type == "link":
                        found.append(Reference("link", str(child.attrs["href"]), _plain(child), line))
                    elif child.type == "image":
                        found.append(Reference("image", str(child.attrs["src"]), _plain(child), line))
        return found

    def references(self) -> list[Reference]:
        return self._references

    def html(
        self, blocks: list[SyntaxTreeNode] | None = None, rewrite: Rewrite | None = None, most_width: int | None = None
    ) -> str:
        if rewrite is not None and all(rewrite(ref.kind, ref.url) == ref.url for ref in self._references):
            rewrite = None  # it would change nothing
        if blocks is None and rewrite is None and most_width is None:
            return self._html
        md = parser()
        tokens = self.tokens if blocks is None else [t for block in blocks for t in block.to_tokens()]
        if rewrite is not None:
            tokens = _rewritten(tokens, rewrite)
        return md.renderer.render(tokens, md.options, {"most_width": most_width})

    def measure(self, sizes: dict[str, tuple[int, int]]) -> None:
        """The width and height of the script's images, by their address as written (before it is rendered)."""
        for token in self.tokens:
            for child in token.children or ():
                if child.type == "image" and (size := sizes.get(str(child.attrs["src"]))):
                    child.meta["size"] = size

    @cached_property
    def _html(self) -> str:
        md = parser()
        return md.renderer.render(self.tokens, md.options, {})

    def text(self, width: int = 72, blocks: list[SyntaxTreeNode] | None = None, rewrite: Rewrite | None = None) -> str:
        return TextWriter(width, rewrite).blocks(self.blocks if blocks is None else blocks)

    def markdown(self) -> str:
        return MarkdownWriter().blocks(self.blocks)

    def wordpress(self, rewrite: Rewrite, media_id: Callable[[str], int | None]) -> list[str]:
        """The script as WordPress blocks (their markup, one string a block); ``media_id`` gives an image's id
        in the site's media library, by its address as the script writes it."""
        return BlockWriter(rewrite, media_id).blocks(self.blocks)


def _demote_headings(tokens: list[Token]) -> None:
    """Every heading one level down (# → ##, … ###### stays), when the script has a '#' one: the month's
    title is the page's one top-level heading, and the script's own go below it in the same order."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


def _safe(children: list[Token], line: int, dropped: list[Reference]) -> list[Token]:
    """Inline tokens without links or images to unsafe addresses: a link's text stays, an image becomes its alt."""
    from markdown_it.token import Token

    kept, inside_dropped = [], False
    for token in children:
        if token.type == "link_open" and _UNSAFE_SCHEME.match(str(token.attrs.get("href", ""))):
            dropped.append(Reference("link", str(token.attrs["href"]), "", line))
            inside_dropped = True  # links do not nest: the next link_close is this one's
        elif token.type == "link_close" and inside_dropped:
            inside_dropped = False
        elif token.type == "image" and _UNSAFE_SCHEME.match(str(token.attrs.get("src", ""))):
            dropped.append(Reference("image", str(token.attrs["src"]), token.content, line))
            if token.content:
                kept.append(Token("text", "", 0, content=token.content))
        elif token.type == "image" and "%5C" in (src := str(token.attrs.get("src", ""))) and "://" not in src:
            token.attrs["src"] = src.replace("%5C", "/")  # img\photo.jpg, as Windows writes it: img/photo.jpg
            kept.append(token)
        else:
            kept.append(token)
    return kept


_ADDRESS = {"link_open": ("link", "href"), "image": ("image", "src")}


def _rewritten(tokens: list[Token], rewrite: Rewrite) -> list[Token]:
    """Copies of the tokens with link and image addresses rewritten (the parsed tree stays as it was)."""
    result = []
    for token in tokens:
        if token.children:
            children = _rewritten(token.children, rewrite)
            if any(new is not old for new, old in zip(children, token.children, strict=True)):
                token = token.copy(children=children)
        if token.type in _ADDRESS:
            kind, attr = _ADDRESS[token.type]
            address = rewrite(kind, str(token.attrs[attr]))
            if address != token.attrs[attr]:
                token = token.copy(attrs={**token.attrs, attr: address})
        result.append(token)
    return result


def _plain(node: SyntaxTreeNode) -> str:
    """The words inside an inline node, without any markup."""
    if node.type in ("text", "code_inline", "merge_tag"):
        return node.content
    if node.type in ("softbreak", "hardbreak"):
        return " "
    return "".join(_plain(child) for child in node.children)


_SPACES = str.maketrans("\t\n\x0b\x0c\r", "     ")  # what textwrap treats as whitespace, as spaces
_WORDS = re.compile(r"( +)")
_OTHER_SPACE = re.compile(r"[^\S ]")


@cache
def _line(room: int) -> re.Pattern[str]:
    """A line of at most ``room`` characters ending with a whole word (or one longer word), and the
    spaces after it, which are dropped where a line breaks."""
    most = rf"\S.{{0,{room - 1}}}(?<=\S)|" if room > 0 else ""
    return re.compile(rf"({most}\S+)(?: +|\Z)")


def fill(text: str, width: int = 72, first: str = "", rest: str = "") -> str:
    """Text wrapped for plain-text readers; a web address is never broken across lines.

    Exactly textwrap.fill(text, width, first, rest, break_long_words=False,
    break_on_hyphens=False) (a test holds them together), in a sixth of the
    time, which the plain-text email spends dozens of times a month: a line
    is one regular-expression match rather than a loop over its words.
    """
    text = text.expandtabs().translate(_SPACES)
    if _OTHER_SPACE.search(text):  # another kind of space (no-break, em…): textwrap's own rules
        return textwrap.fill(
            text, width, initial_indent=first, subsequent_indent=rest, break_long_words=False, break_on_hyphens=False
        )
    if text and text[0] != " " and text[-1] != " ":  # words between spaces: the usual
        lines, at, room = [], 0, width - len(first)
        while at < len(text):
            line = _line(room).match(text, at)
            assert line is not None, "a line always holds at least one word"
            lines.append(line[1])
            at, room = line.end(), width - len(rest)
        return "\n".join([first + lines[0], *(rest + line for line in lines[1:])])
    chunks = [chunk for chunk in _WORDS.split(text) if chunk]
    chunks.reverse()
    lines: list[str] = []
    while chunks:
        indent = rest if lines else first
        room = width - len(indent)
        if lines and chunks[-1][0] == " ":  # spaces where a line breaks are dropped
            chunks.pop()
        line: list[str] = []
        used = 0
        while chunks and used + len(chunks[-1]) <= room:
            used += len(chunks[-1])
            line.append(chunks.pop())
        if chunks and not line and len(chunks[-1]) > room:  # a word longer than the line has it to itself
            line.append(chunks.pop())
        if line and line[-1][0] == " ":
            line.pop()
        if line:
            lines.append(indent + "".join(line))
    return "\n".join(lines)


class TextWriter:
    """Plain text for the newsletter: wrapped, links as 'text (address)'."""

    def __init__(self, width: int, rewrite: Rewrite | None = None):
        self.width = width
        self.rewrite = rewrite or (lambda kind, address: address)

    def blocks(self, nodes: list[SyntaxTreeNode], indent: str = "", separator: str = "\n\n") -> str:
        return separator.join(self.block(node, indent) for node in nodes)

    def block(self, node: SyntaxTreeNode, indent: str) -> str:
        kind = node.type
        if kind == "paragraph":
            return self.wrap(self.inline(node.children[0]), indent)
        if kind == "heading":
            return self.heading(self.inline(node.children[0]), int(node.tag[1]), indent)
        if kind in ("bullet_list", "ordered_list"):
            return self.listing(node, indent)
        if kind == "blockquote":
            inner = indent + "> "
            return self.blocks(node.children, inner, f"\n{inner.rstrip()}\n")
        if kind in ("code_block", "fence"):
            return self.code(node.content.rstrip("\n"), node.info, indent)
        if kind == "hr":
            return indent + self.rule()
        raise AssertionError(f"unexpected Markdown block {kind}")

    def listing(self, node: SyntaxTreeNode, indent: str) -> str:
        start = int(node.attrs.get("start", 1))
        tight = all(child.hidden for item in node.children for child in item.children if child.type == "paragraph")
        separator = "\n" if tight else "\n\n"
        items = []
        for number, item in enumerate(node.children, start):
            marker = f"{number}. " if node.type == "ordered_list" else self.bullet
            body = self.blocks(item.children, indent + " " * len(marker), separator)
            items.append(indent + marker + body[len(indent) + len(marker) :])
        return separator.join(items)

    def inline(self, node: SyntaxTreeNode) -> str:
        return "".join(self.span(child) for child in node.children)

    # How each construct is written; MarkdownWriter overrides these.
    bullet = "- "

    def span(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == "text":
            return node.content
        if kind == "softbreak":
            return " "
        if kind == "hardbreak":
            return "\n"
        if kind in ("code_inline", "merge_tag"):
            return node.content
        if kind == "link":
            text, href = self.inline(node), self.rewrite("link", str(node.attrs["href"]))
            bare = href.removeprefix("mailto:").removeprefix("tel:")
            return text if text in (href, bare) else f"{text} ({bare})"
        if kind == "image":
            return f"[{_plain(node) or 'image'}]"
        return self.inline(node)  # em, strong: the words alone

    def wrap(self, text: str, indent: str) -> str:
        return "\n".join(fill(line, self.width, indent, indent) or indent.rstrip() for line in text.split("\n"))

    def heading(self, text: str, level: int, indent: str) -> str:
        return f"{indent}{text}\n{indent}{('=' if level == 1 else '-') * len(text)}"

    def code(self, content: str, info: str, indent: str) -> str:
        return "\n".join(f"{indent}    {line}".rstrip() for line in content.split("\n"))

    def rule(self) -> str:
        return "-" * 20


# Beyond CommonMark's own syntax: ~ (GFM's strikethrough), | (GFM's tables), $ (kramdown's math), and
# {{, {% and {# (Liquid, Nunjucks, Hugo's shortcodes, which a site's generator would run before Markdown
# and which see no backslash: every { is escaped, and a % or # after one), Nunjucks's #}, and kramdown's {:
# attributes. Every escape is one kramdown has too (tests/test_generators.py builds post.md with Hugo, Jekyll
# and Eleventy).
_MD_ESCAPE = re.compile(r"([\\`*_\[\]<>{~|$])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")  # an & that would start an entity (apart: a class alone is searched quicker)
_MD_LINE_START = re.compile(r"(\s*(?:\d+(?=[.)]))?)([#+=.):-])")  # matched at the start of each line


def escape_markdown(text: str) -> str:
    """Text that Markdown shows as written, never as markup or HTML, wherever it is put: inline, or at the
    start of a line, where '# ', '1. ', '- ' or '---' would make a heading, a list or a rule, and four
    spaces a code block. Spaces and tabs around a line go (Markdown would not show them either; two
    at its end would make a line break)."""
    return "\n".join(_line_start_escaped(_escape_inline(line.strip(" \t"))) for line in text.split("\n"))


def _line_start_escaped(line: str) -> str:
    found = _MD_LINE_START.match(line)
    return line if found is None else f"{found[1]}\\{line[found.end(1) :]}"


def _escape_inline(text: str) -> str:
    escaped = _MD_ESCAPE.sub(r"\\\1", text)
    if "&" in text:  # as an entity: kramdown has no \& (it would show the backslash)
        escaped = _MD_ENTITY.sub("&amp;", escaped)
    if "{" in text or "#}" in text:
        # kramdown has no \% either: the % after a { is an entity, which Liquid and Nunjucks do not read; and
        # Nunjucks stops at a #} that closes no comment
        escaped = escaped.replace("\\{%", "\\{&#37;").replace("\\{#", "\\{\\#").replace("#}", "#\\}")
    return escaped


# Breaks what a generator or a Markdown reader would take as syntax in an image's alt text, invisibly.
_ZWSP = "\u200b"
_ALT_ADJACENT = re.compile(
    r"(?<=[{])(?=[{%#:])|(?<=[#%])(?=})|(?<=\])(?=[:(])|(?<=!)(?=\[)|(?<=\$)(?=\$)|(?<=<)(?=[A-Za-z/!?])"
)
_ALT_ENTITY = re.compile(r"(?<=&)(?=#?\w+;)")
_ALT_BACKSLASH = re.compile(r"(?<=\\)(?=[!-/:-@\[-`{-~]|$)")  # at the end, it would escape the closing ]


def escape_alt(text: str) -> str:
    """An image's alt text as Markdown that every generator shows as written, escaping only what would be
    syntax there. Eleventy's markdown-it drops every escaped character and entity from alt text (its
    renderInlineAsText skips them), and kramdown shows a backslash before ~ and % in it; so pairs that would
    start a template tag, a link definition, HTML, an entity or math are kept apart by an invisible
    ZERO WIDTH SPACE, brackets are left as they are when they pair up, and *, _, ` and ~ are escaped only
    where two of them could make emphasis, code or strikethrough. What is still escaped (| for kramdown's
    tables, such pairs, an unpaired bracket) markdown-it drops from the alt text: its own bug."""
    text = " ".join(text.split())
    text = _ALT_BACKSLASH.sub(_ZWSP, text)
    text = _ALT_ENTITY.sub(_ZWSP, text)
    text = _ALT_ADJACENT.sub(_ZWSP, text)
    if not _brackets_pair(text):
        text = text.replace("[", "\\[").replace("]", "\\]")
    for char, escaped in (("*", "\\*"), ("_", "\\_"), ("`", "\\`"), ("~", "&#126;")):
        if text.count(char) > 1:
            text = text.replace(char, escaped)
    return text.replace("|", "&#124;")


def _brackets_pair(text: str) -> bool:
    depth = 0
    for c in text:
        depth += (c == "[") - (c == "]")
        if depth < 0:
            return False
    return depth == 0


class MarkdownWriter(TextWriter):
    """CommonMark again, for post.md: the same document with every text character escaped
    where Markdown would read it as syntax, so raw HTML stays text here too."""

    def __init__(self) -> None:
        super().__init__(width=0)

    def span(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind in ("text", "merge_tag"):  # a merge tag in post.md: text, shown as written
            return _escape_inline(node.content)  # the start of a line is escaped when lines are known (wrap)
        if kind == "softbreak":
            return "\n"
        if kind == "hardbreak":
            return "\\\n"
        if kind == "code_inline":
            fence = "`" * (max((len(m) for m in re.findall(r"`+", node.content)), default=0) + 1)
            pad = " " if node.content.startswith("`") or node.content.endswith("`") else ""
            return f"{fence}{pad}{node.content}{pad}{fence}"
        if kind == "em":
            return f"*{self.inline(node)}*"
        if kind == "strong":
            return f"**{self.inline(node)}**"
        if kind == "link":
            return f"[{self.inline(node)}]({markdown_url(str(node.attrs['href']))}{_md_title(node)})"
        if kind == "image":
            alt = escape_alt(_plain(node))
            return f"![{alt}]({markdown_url(str(node.attrs['src']))}{_md_title(node)})"
        raise AssertionError(f"unexpected Markdown inline {kind}")

    def wrap(self, text: str, indent: str) -> str:
        lines = (_line_start_escaped(line) for line in text.split("\n"))
        return "\n".join(indent + line if line else indent.rstrip() for line in lines)

    def heading(self, text: str, level: int, indent: str) -> str:
        return f"{indent}{'#' * level} {text}"

    def code(self, content: str, info: str, indent: str) -> str:
        fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", content)), default=0) + 1)
        body = "\n".join(indent + line if line else "" for line in content.split("\n"))
        return f"{indent}{fence}{info}\n{body}\n{indent}{fence}"

    def rule(self) -> str:
        return "---"


def wp_block(name: str, inner: str, attrs: dict[str, object] | None = None) -> str:
    """One block in WordPress's serialized form: its markup between comments naming it (and its attributes,
    as JSON written the way the block editor writes it)."""
    shown = ""
    if attrs:
        data = json.dumps(attrs, separators=(",", ":"), ensure_ascii=False)
        for char, escaped in (("--", "\\u002d\\u002d"), ("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            data = data.replace(char, escaped)
        shown = " " + data
    return f"<!-- wp:{name}{shown} -->\n{inner}\n<!-- /wp:{name} -->"


def wp_inner(tag: str, blocks: list[str], attributes: str = "") -> str:
    """A block's element holding inner blocks, as the editor writes it: ``<ul><!-- wp:… -->…</ul>``."""
    return f"<{tag}{attributes}>" + "\n\n".join(blocks) + f"</{tag}>"


class BlockWriter:
    """WordPress blocks from the parsed script, as WordPress's block editor saves them (checked against its
    editor in tests/test_blog_wordpress.py): paragraphs, headings, lists of list items, quotes, code, rules and
    images each their native block, so the post opens in the editor as blocks rather than one Classic block.
    A list holding what a list item cannot (code, a quote) is kept whole as a Custom HTML block."""

    def __init__(self, rewrite: Rewrite, media_id: Callable[[str], int | None]):
        self.rewrite = rewrite
        self.media_id = media_id

    def blocks(self, nodes: list[SyntaxTreeNode]) -> list[str]:
        return [self.block(node) for node in nodes]

    def block(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == "paragraph":
            image = self._sole_image(node)
            return self.image(image) if image is not None else wp_block("paragraph", f"<p>{self.inline(node)}</p>")
        if kind == "heading":
            level = int(node.tag[1])
            return wp_block(
                "heading", f"<h{level}>{self.inline(node)}</h{level}>", None if level == 2 else {"level": level}
            )
        if kind in ("bullet_list", "ordered_list"):
            return self.listing(node)
        if kind == "blockquote":
            return wp_block("quote", wp_inner("blockquote", self.blocks(node.children), ' class="wp-block-quote"'))
        if kind in ("code_block", "fence"):
            code = html.escape(node.content.rstrip("\n"), quote=False)
            return wp_block("code", f'<pre class="wp-block-code"><code>{code}</code></pre>')
        if kind == "hr":
            return wp_block("separator", '<hr class="wp-block-separator has-alpha-channel-opacity"/>')
        raise AssertionError(f"unexpected Markdown block {kind}")

    def listing(self, node: SyntaxTreeNode) -> str:
        if any(
            child.type not in ("paragraph", "bullet_list", "ordered_list")
            for item in node.children
            for child in item.children
        ):
            return wp_block("html", self._html(node.to_tokens()).strip())
        ordered = node.type == "ordered_list"
        start = int(node.attrs.get("start", 1))
        attrs: dict[str, object] = {"ordered": True} if ordered else {}
        if ordered and start != 1:
            attrs["start"] = start
        items = []
        for item in node.children:
            texts = [self.inline(child) for child in item.children if child.type == "paragraph"]
            nested = [self.listing(child) for child in item.children if child.type != "paragraph"]
            items.append(wp_block("list-item", f"<li>{'<br><br>'.join(texts)}{''.join(nested)}</li>"))
        tag = "ol" if ordered else "ul"
        return wp_block(
            "list", wp_inner(tag, items, f' start="{start}"' if ordered and start != 1 else ""), attrs or None
        )

    def image(self, node: SyntaxTreeNode) -> str:
        written = str(node.attrs["src"])
        src = html.escape(self.rewrite("image", written))
        alt = html.escape(_plain(node))
        title = node.attrs.get("title")
        shown = f' title="{html.escape(str(title))}"' if title else ""
        media = self.media_id(written)
        attrs: dict[str, object] = {"sizeSlug": "full", "linkDestination": "none"}
        if media is not None:
            attrs = {"id": media, **attrs}
        css = f' class="wp-image-{media}"' if media is not None else ""
        return wp_block(
            "image",
            f'<figure class="wp-block-image size-full"><img src="{src}" alt="{alt}"{css}{shown}/></figure>',
            attrs,
        )

    def inline(self, node: SyntaxTreeNode) -> str:
        inline = node.children[0]
        assert inline.token is not None
        return self._html(inline.token.children or [], inline=True)

    def _html(self, tokens: list[Token], inline: bool = False) -> str:
        md = parser()
        tokens = _rewritten(tokens, self.rewrite)
        if inline:
            return md.renderer.renderInline(tokens, md.options, {})
        return md.renderer.render(tokens, md.options, {})

    @staticmethod
    def _sole_image(node: SyntaxTreeNode) -> SyntaxTreeNode | None:
        inline = node.children[0]
        return inline.children[0] if len(inline.children) == 1 and inline.children[0].type == "image" else None


_URL_UNSAFE = {" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "{": "%7B", "}": "%7D"}


def markdown_url(url: str) -> str:
    """A link destination that Markdown reads back unchanged."""
    return "".join(_URL_UNSAFE.get(c, c) for c in url)


def _md_title(node: SyntaxTreeNode) -> str:
    title = node.attrs.get("title")
    if not title:
        return ""
    escaped = _escape_inline(str(title)).replace('"', '\\"')
    return f' "{escaped}"'
