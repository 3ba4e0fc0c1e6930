"""What blog push sends, what a site holds, and the small interface each blog platform implements."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from monthlypost.publish.http import Client, ProviderError

if TYPE_CHECKING:
    from monthlypost.campaign import Campaign
    from monthlypost.config import Settings

USER_VARIABLE = "MONTHLYPOST_BLOG_USER"  # WordPress: the login name
PASSWORD_VARIABLE = "MONTHLYPOST_BLOG_PASSWORD"  # WordPress: an application password
KEY_VARIABLE = "MONTHLYPOST_BLOG_API_KEY"  # Ghost: an Admin API key
BLOG_SETTINGS = f"[blog] api_url, and {USER_VARIABLE} with {PASSWORD_VARIABLE} (WordPress) or {KEY_VARIABLE} (Ghost)"
PLACEHOLDER = "monthlypost-image:"  # an image's address until it is in the site's media library


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Image:
    """One of the script's images, as built (dist/YYYY-MM/NAME), to upload once."""

    name: str  # its name in the output folder, and on the site
    data: bytes
    alt: str
    written: tuple[str, ...]  # the addresses the script gives it

    @property
    def sha256(self) -> str:
        return sha256(self.data)

    @property
    def mime(self) -> str:
        ext = self.name.rsplit(".", 1)[-1].lower()
        return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}.get(
            ext, f"image/{ext}"
        )


@dataclass(frozen=True)
class Media:
    """An image in the site's media library."""

    id: str  # WordPress's attachment id; Ghost has none: its address
    url: str


@dataclass
class Post:
    """A month's post, as blog push sends it."""

    month: str
    title: str
    excerpt: str
    slug: str
    date: datetime.datetime  # when it is published: its date at 9 in the author's time zone
    categories: list[str]
    tags: list[str]
    images: list[Image]
    campaign: Campaign
    settings: Settings

    def by_written(self, media: dict[str, Media]) -> tuple[Any, Any]:
        """(address, media id) functions over the script's own image addresses, for the renderers."""
        found = {written: image for image in self.images for written in image.written}

        def url(written: str) -> str:
            image = found.get(written)
            if image is None:
                return written
            held = media.get(image.sha256)
            return held.url if held else PLACEHOLDER + image.name

        def media_id(written: str) -> int | None:
            image = found.get(written)
            held = media.get(image.sha256) if image else None
            return int(held.id) if held and held.id.isdigit() else None

        return url, media_id

    def featured(self) -> Image | None:
        """The post's featured image: the script's first."""
        return self.images[0] if self.images else None

    def digest(self, content: str) -> str:
        """Everything the post sends, the images' bytes by hash, so that any change to it is an update."""
        fields = {
            "title": self.title,
            "excerpt": self.excerpt,
            "slug": self.slug,
            "date": self.date.isoformat(),
            "categories": self.categories,
            "tags": self.tags,
            "content": content,
            "images": [image.sha256 for image in self.images],
        }
        return sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8"))


@dataclass
class Held:
    """A post as its site holds it."""

    id: str
    status: str  # the site's word: draft, publish, future, private, pending, trash (WordPress); draft, published…
    modified: str  # when it last changed there: how a change made on the site is told
    link: str
    title: str
    content: str  # as stored: WordPress's block markup, Ghost's HTML
    excerpt: str
    slug: str
    date: str
    live: bool  # published (or scheduled): readers see it, or will
    gone: bool = False  # in the site's trash: as good as deleted
    raw: dict[str, Any] = field(default_factory=dict)  # what a backup keeps, and a restore sends back


@dataclass
class Terms:
    """Categories and tags as the site knows them."""

    categories: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    new_tags: list[str] = field(default_factory=list)  # made when the post is written


class Site:
    """A blog platform's API, as blog push uses it."""

    name: ClassVar[str]  # as people call it
    platform: ClassVar[str]  # [blog] platform
    excerpt_max: ClassVar[int | None] = None  # the longest excerpt the platform takes
    published: ClassVar[tuple[str, ...]] = ()  # the statuses of a post that is out: never scheduled or unscheduled
    scheduled: ClassVar[str] = ""  # the status of a scheduled post

    def __init__(self, client: Client, prefix: str):
        self.client = client
        self.prefix = prefix  # the site's path under its origin ("" at the root)

    def login(self) -> None:
        """Check that the credentials work, with an error saying what to check when they do not."""
        raise NotImplementedError

    def read(self, post_id: str) -> Held | None:
        raise NotImplementedError

    def slug_owners(self, slug: str) -> list[str]:
        """The ids of the posts (of any status but deleted) at ``slug``."""
        raise NotImplementedError

    def terms(self, post: Post) -> Terms:
        """Categories and tags resolved; a category the site lacks is an error (it is not made)."""
        return Terms()

    def make_terms(self, terms: Terms) -> Terms:
        """The tags the site lacked, made now (before the post is written: a tag made twice is found again)."""
        return terms

    def media_exists(self, media: Media) -> bool:
        return True

    def upload(self, image: Image) -> Media:
        raise NotImplementedError

    def content(self, post: Post, media: dict[str, Media]) -> str:
        raise NotImplementedError

    def create(self, post: Post, content: str, terms: Terms, featured: Media | None) -> Held:
        raise NotImplementedError

    def update(self, held: Held, post: Post, content: str, terms: Terms, featured: Media | None) -> Held:
        """Everything the post carries but its status: a live post stays live."""
        raise NotImplementedError

    def put_back(self, held: Held, saved: dict[str, Any]) -> Held:
        """A backup's fields (``Held.raw``) written over the post, its status aside."""
        raise NotImplementedError

    def schedule(self, held: Held, when: datetime.datetime | None) -> Held:
        """The post scheduled to go live at ``when``, or (None) back to a draft."""
        raise NotImplementedError

    def _held(self, data: Any) -> Held:
        raise NotImplementedError

    def _one(self, data: Any, *path: str) -> Held:
        """The post an answer carries, or an error saying the answer is not one."""
        for key in path:
            data = data.get(key) if isinstance(data, dict) else None
            if isinstance(data, list):
                data = data[0] if data else None
        if not isinstance(data, dict) or "id" not in data:
            raise ProviderError(
                f"{self.name} answered about the post in a form monthlypost does not know; look at the post on "
                "the site, and try again later",
                ambiguous=True,
            )
        return self._held(data)
