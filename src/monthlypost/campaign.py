"""campaigns/YYYY-MM → a typed, validated :class:`Campaign`."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from monthlypost.errors import Problems, quoted
from monthlypost.image import ImageProblem, check_master, master_warnings, undrawable
from monthlypost.markup import Script, too_costly
from monthlypost.outputs import RESERVED
from monthlypost.paths import BadReference, PathError, output_name
from monthlypost.sources import SCRIPT_NAME, TOPIC_NAME, MonthFiles, is_slug, slugify
from monthlypost.tables import (
    Warn,
    at_least,
    load_toml,
    not_empty,
    parse_toml,
    read_table,
    rule,
    table,
    text_rule,
)
from monthlypost.video import (
    PLACEHOLDER_ID,
    TITLE_MAX,
    Chapter,
    VideoLinkError,
    chapter_problems,
    chapters_within,
    duration_problems,
    hashtag_name,
    hashtag_problems,
    parse_chapter,
    parse_duration,
    video_id,
)

# --- Value rules (every string is also held to tables.text_rule: no control characters, one line) ---


def title_rule(title: str) -> Iterable[str]:
    yield from not_empty(title)
    if len(title) > TITLE_MAX:
        yield f"{len(title)} characters; YouTube allows at most {TITLE_MAX}"
    if "<" in title or ">" in title:
        yield "must not contain < or > (YouTube refuses them)"


def video_rule(link: str) -> Iterable[str]:
    try:
        vid = video_id(link)
    except VideoLinkError as err:
        yield str(err)
        return
    if vid == PLACEHOLDER_ID:
        yield Warn("still the placeholder; put this month's video link here")


def slug_rule(slug: str) -> Iterable[str]:
    if not is_slug(slug):
        yield f"{quoted(slug)} is not a slug: lower-case words of letters and digits, joined by single hyphens"


def optional_text(value: str) -> Iterable[str]:
    if not value.strip():
        yield "must not be empty; leave the key out to use the default"


def key_points_rule(points: list[str]) -> Iterable[str]:
    if not points:
        yield "list at least one"
    for number, point in enumerate(points, 1):
        if not point.strip():
            yield f"point {number} is empty"


@table
class Topic:
    """topic.toml, key for key (SPEC §3)."""

    title: str = field(metadata=rule(title_rule))
    video: str = field(metadata=rule(video_rule))
    summary: str = field(metadata=rule(not_empty, lines="many"))
    key_points: list[str] = field(metadata=rule(key_points_rule))
    keywords: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list, metadata=rule(hashtag_problems))
    chapters: list[str] = field(default_factory=list, metadata=rule(chapter_problems))
    subject: str | None = field(default=None, metadata=rule(optional_text))
    preheader: str | None = field(default=None, metadata=rule(optional_text))
    publish_date: datetime.date | None = None
    publish_at: datetime.datetime | None = None  # local in [author] timezone, or with its own offset
    video_date: datetime.datetime | datetime.date | None = None  # when the video went public, if not at publish_at
    updated: datetime.datetime | datetime.date | None = None  # when the post was last changed after publishing
    cta: str | None = field(default=None, metadata=rule(lines="many"))
    slug: str | None = field(default=None, metadata=rule(slug_rule))
    excerpt: int | None = field(default=None, metadata=rule(at_least(1, "a number of paragraphs, 1 or more")))
    duration: str | None = field(default=None, metadata=rule(duration_problems))
    thumbnail: str | None = field(default=None, metadata=rule(not_empty))  # the creator's own, in the folder


@dataclass(repr=False, eq=False)
class Campaign:
    """One month, read and checked: everything the renderers need."""

    month: str  # YYYY-MM
    folder: Path
    topic: Topic
    script: Script
    images: list[str]  # the script's own image files, as named in the output folder
    files: MonthFiles  # the folder's files as read for this build
    thumbnail: str | None = None  # the creator's own thumbnail (the month's image's master), in the folder

    @property
    def topic_path(self) -> Path:
        return self.folder / TOPIC_NAME

    @property
    def script_path(self) -> Path:
        return self.folder / SCRIPT_NAME

    @property
    def video_id(self) -> str:
        return video_id(self.topic.video)

    @property
    def chapters(self) -> list[Chapter]:
        return [parse_chapter(line) for line in self.topic.chapters]

    @property
    def hashtags(self) -> list[str]:
        """Without '#', as written."""
        return [hashtag_name(tag) or tag for tag in self.topic.hashtags]

    @property
    def duration(self) -> int | None:
        """The video's length in seconds, when topic.toml gives it."""
        return parse_duration(self.topic.duration) if self.topic.duration else None

    @property
    def title(self) -> str:
        return self.topic.title

    @cached_property  # asked for by every output
    def slug(self) -> str:
        return self.topic.slug or slugify(self.topic.title)

    @property
    def subject(self) -> str:
        return self.topic.subject or self.topic.title

    @property
    def preheader(self) -> str:
        return self.topic.preheader or self.topic.summary

    @property
    def publish_date(self) -> datetime.date:
        return publish_day(self.month, self.topic)


def read_campaign(month: str, files: MonthFiles, problems: Problems) -> Campaign | None:
    """Read and check one month's folder; its problems go into ``problems``."""
    start = len(problems)
    topic_path = files.folder / TOPIC_NAME
    missing = f"missing; every month needs one (run 'monthlypost new {month}')"
    try:
        data = parse_toml(files.read(TOPIC_NAME, missing), topic_path, problems)
    except PathError as err:
        problems.extend(err.problems)
        data = None
    topic = read_table(Topic, data, topic_path, problems) if data is not None else None
    if topic is not None and topic.publish_at and topic.publish_date and topic.publish_at.date() != topic.publish_date:
        problems.error(
            topic_path,
            f"publish_date ({topic.publish_date}) is not the day of publish_at ({topic.publish_at.date()}); "
            "leave publish_date out: publish_at gives the post its date",
        )
    if topic is not None and topic.updated and _day(topic.updated) < (day := publish_day(month, topic)):
        problems.error(topic_path, f"updated: {topic.updated} is before the post is published ({day})")
    if topic is not None and topic.duration and topic.chapters:
        chapters = [parse_chapter(line) for line in topic.chapters]
        for finding in chapters_within(chapters, parse_duration(topic.duration)):
            problems.error(topic_path, f"chapters: {finding}")
    elif topic is not None and topic.chapters:
        problems.warn(
            topic_path,
            "duration: not set, so the last chapter has no end in the post's structured data (search engines' key "
            'moments); set duration = "M:SS", the video\'s length',
        )
    if topic is not None and topic.video_date is None and topic.publish_at is None:
        problems.warn(
            topic_path,
            "video_date: not set, so the post's structured data gives the post's date as the video's upload "
            "date; set video_date = YYYY-MM-DD, the day the video went public on YouTube (or publish_at)",
        )
    script = read_script(files, problems)
    images = check_references(script, files, problems) if script is not None else []
    thumbnail = read_thumbnail(topic, files, problems) if topic is not None else None
    if topic is not None and thumbnail is None:
        left_out = undrawable(topic.title)
        if left_out:
            problems.warn(
                topic_path,
                f"title: the drawn image leaves out {', '.join(left_out)} (the fonts monthlypost draws with have "
                "no such letters); put the video's own thumbnail in the month's folder as thumbnail.jpg",
            )
    if topic is None or script is None or problems.errors_since(start):
        return None
    return Campaign(month, files.folder, topic, script, images, files, thumbnail)


def _day(value: datetime.date) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def publish_day(month: str, topic: Topic) -> datetime.date:
    """The post's day: publish_at's, else publish_date, else the first of the month."""
    if topic.publish_at or topic.publish_date:
        return _day(topic.publish_at or topic.publish_date)
    year, number = map(int, month.split("-"))
    return datetime.date(year, number, 1)


def read_thumbnail(topic: Topic, files: MonthFiles, problems: Problems) -> str | None:
    """The creator's own thumbnail, checked to be a JPEG or PNG of a usable size: topic.toml's ``thumbnail``,
    else a thumbnail.jpg/.png in the folder; None when the month has none (its image is then drawn)."""
    topic_path = files.folder / TOPIC_NAME
    if topic.thumbnail is not None:
        try:
            name = output_name(topic.thumbnail, frozenset())
            data = files.read(name, f"not found in {files.folder.name}/")
        except BadReference as err:
            problems.error(topic_path, f"thumbnail: '{topic.thumbnail}' {err}")
            return None
        except PathError as err:
            problems.error(topic_path, f"thumbnail: '{topic.thumbnail}' {err.problems[0].message}")
            return None
    else:
        try:
            name = files.thumbnail
            if name is None:
                return None
            data = files.read(name)
        except PathError as err:
            problems.extend(err.problems)
            return None
    path = files.folder / name
    try:
        width, height = check_master(data)
    except ImageProblem as err:
        problems.error(path, str(err))
        return None
    for finding in master_warnings(width, height):
        problems.warn(path, finding)
    return name


def peek_title(folder: Path) -> str | None:
    """The month's title without checking anything else (for listing months quickly)."""
    data = load_toml(folder / TOPIC_NAME, Problems())
    title = (data or {}).get("title")
    return title if isinstance(title, str) and title.strip() and not list(text_rule(title)) else None


def peek_video(folder: Path) -> str | None:
    """The month's video id without checking anything else (None if topic.toml has none that reads)."""
    link = (load_toml(folder / TOPIC_NAME, Problems()) or {}).get("video")
    try:
        return video_id(link) if isinstance(link, str) else None
    except VideoLinkError:
        return None


def read_script(files: MonthFiles, problems: Problems) -> Script | None:
    path = files.folder / SCRIPT_NAME
    try:
        source = files.text(SCRIPT_NAME, "missing; write the month's text here in Markdown")
    except PathError as err:
        problems.extend(err.problems)
        return None
    if not source.strip():
        problems.error(path, "empty; write the month's text here in Markdown")
        return None
    costly = too_costly(source)
    if costly is not None:
        problems.error(path, costly)
        return None
    script = Script(source)
    if script.truncated_at is not None:
        problems.error(
            path,
            f"line {script.truncated_at}: lists or quotes nested too deeply to keep "
            f"(more than {script.MAX_DEPTH} levels); nest them less",
        )
        return None
    return script


def check_references(script: Script, files: MonthFiles, problems: Problems) -> list[str]:
    """Warn about links readers cannot follow; list the local images under the names they are copied as."""
    path = files.folder / SCRIPT_NAME
    images: list[str] = []
    sizes: dict[str, tuple[int, int]] = {}
    for ref in script.dropped:
        shown = ref.url if len(ref.url) <= 40 else ref.url[:39] + "…"
        problems.warn(path, f"line {ref.line}: {ref.kind} '{shown}' is not a web address, so only its text is kept")
    for ref in script.references():
        where = f"line {ref.line}: "
        if ref.kind == "image" and not ref.text.strip():
            problems.warn(
                path, f"{where}image '{ref.url}' has no alt text; screen readers and blocked images show nothing"
            )
        if ref.url.lower().startswith("https://") or (
            ref.kind == "link" and ref.url.lower().startswith(("mailto:", "tel:"))
        ):
            continue
        if ref.kind == "image" and "://" not in ref.url and not ref.url.startswith(("/", "#")):
            try:
                name = output_name(ref.url, RESERVED)
                files.read(name, f"not found in {files.folder.name}/")
            except BadReference as err:
                problems.error(path, f"{where}image '{ref.url}' {err}")
            except PathError as err:
                problems.error(path, f"{where}image '{ref.url}' {err.problems[0].message}")
            else:
                same = next((other for other in images if other.casefold() == name.casefold()), name)
                if same != name:
                    problems.error(
                        path,
                        f"{where}image '{ref.url}' and '{same}' differ only in capitals: on Windows and macOS they "
                        "are one file; rename one",
                    )
                    continue
                if name not in images:
                    images.append(name)
                if size := image_size(files.read(name)):
                    sizes[ref.url] = size
            continue
        problems.warn(path, f"{where}{ref.kind} '{ref.url}' is not an absolute https:// address")
    script.measure(sizes)
    return images


def image_size(data: bytes) -> tuple[int, int] | None:
    """An image's width and height, from its header; None for a file Pillow does not know (an SVG)."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
