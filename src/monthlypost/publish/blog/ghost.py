"""Ghost's Admin API (ghost.org/docs/admin-api): posts from HTML, images, tags, with a token made from an
Admin API key.

The key (Settings → Integrations → a custom integration) is ``id:secret``; each request carries a token
signed with the secret (HS256, ``kid`` the key's id, ``aud`` /admin/, valid five minutes), made fresh.
A post is sent as HTML (``?source=html``), which Ghost turns into its editor's format; the video's player
travels in an HTML card, which it keeps as it is. An update carries the ``updated_at`` it read: a post
changed meanwhile is refused (409, UpdateCollisionError), never overwritten.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import quote

from monthlypost.publish.blog.site import BLOG_SETTINGS, KEY_VARIABLE, Held, Image, Media, Post, Site, Terms
from monthlypost.publish.http import Client, ProviderError, provider_message

API = "/ghost/api/admin"
API_VERSION = "v5.0"
EXCERPT_MAX = 300  # custom_excerpt, as Ghost's validation allows
LIVE = ("published", "scheduled", "sent")
PUBLISHED = ("published", "sent")  # out already: never scheduled, nor taken back to a draft
SCHEDULED = "scheduled"
KEPT = ("title", "html", "custom_excerpt", "slug", "published_at", "tags", "feature_image")
_KEY = re.compile(r"([0-9a-f]{24}):([0-9a-f]{64})")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def admin_token(key_id: str, secret: str, now: int) -> str:
    """An Admin API token: a JWT, HS256, signed with the key's secret (hex), for five minutes."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key_id}, separators=(",", ":")).encode())
    payload = _b64(json.dumps({"iat": now, "exp": now + 300, "aud": "/admin/"}, separators=(",", ":")).encode())
    signature = hmac.new(bytes.fromhex(secret), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def split_key(key: str) -> tuple[str, str]:
    found = _KEY.fullmatch(key)
    if not found:
        raise ProviderError(
            f"{KEY_VARIABLE} is not a Ghost Admin API key: it is the key's id, a colon and its secret (24 and 64 "
            "hexadecimal characters), as Ghost shows it under Settings → Integrations → your integration → Admin "
            "API key; copy it whole"
        )
    return found.group(1), found.group(2)


class Token:
    """requests' authentication for Ghost: a token made fresh for each request (and kept out of messages)."""

    def __init__(self, key: str, secrets: list[str]):
        self.key_id, self.secret = split_key(key)
        self.secrets = secrets

    def __call__(self, request: Any) -> Any:
        token = admin_token(self.key_id, self.secret, int(time.time()))
        self.secrets.append(token)
        request.headers["Authorization"] = f"Ghost {token}"
        return request


class Ghost(Site):
    name = "Ghost"
    platform = "ghost"
    published = PUBLISHED
    scheduled = SCHEDULED
    excerpt_max = EXCERPT_MAX

    def _call(self, method: str, path: str, doing: str, body: Any = None, missing: bool = False) -> Any:
        return self.client.request(method, f"{self.prefix}{API}{path}", body, self._explain, missing, doing)

    def login(self) -> None:
        self._call("GET", "/posts/?limit=1&fields=id", "checking the key")

    def _explain(self, status: int, data: Any) -> str | None:
        said = provider_message(data)
        if status in (401, 403):
            return (
                f"Ghost refused the Admin API key (“{said}”): check {KEY_VARIABLE} (Settings → Integrations → your "
                "custom integration → Admin API key), and that this machine's clock is right (the key's tokens "
                "last five minutes)"
            )
        if status == 409:
            return (
                f"Ghost: the post changed on the site while monthlypost was writing (“{said}”); nothing was "
                "overwritten: push again to see the difference from the post as it is now"
            )
        return None

    def read(self, post_id: str) -> Held | None:
        status, data = self._call("GET", f"/posts/{post_id}/?formats=html", "reading the post", missing=True)
        return None if status == 404 else self._one(data, "posts")

    def _held(self, data: dict[str, Any]) -> Held:
        status = str(data.get("status", ""))
        kept = {key: data.get(key) for key in KEPT}
        kept["tags"] = [{"name": t.get("name")} for t in data.get("tags") or [] if isinstance(t, dict)]
        return Held(
            id=str(data["id"]),
            status=status,
            modified=str(data.get("updated_at", "")),
            link=str(data.get("url", "")),
            title=str(data.get("title") or ""),
            content=str(data.get("html") or ""),
            excerpt=str(data.get("custom_excerpt") or ""),
            slug=str(data.get("slug", "")),
            date=str(data.get("published_at") or ""),
            live=status in LIVE,
            raw=kept,
        )

    def slug_owners(self, slug: str) -> list[str]:
        status, data = self._call(
            "GET", f"/posts/slug/{quote(slug, safe='-')}/", "looking for a post at the slug", missing=True
        )
        return [] if status == 404 else [self._one(data, "posts").id]

    def upload(self, image: Image) -> Media:
        _, data = self.client.request(
            "POST",
            f"{self.prefix}{API}/images/upload/",
            {"purpose": "image", "ref": image.name},
            self._explain,
            doing=f"uploading {image.name}",
            files={"file": (image.name, image.data, image.mime)},
        )
        images = data.get("images") if isinstance(data, dict) else None
        url = images[0].get("url") if isinstance(images, list) and images and isinstance(images[0], dict) else None
        if not url:
            raise ProviderError(f"Ghost answered the upload of {image.name} without its address", ambiguous=True)
        return Media(str(url), str(url))

    def content(self, post: Post, media: dict[str, Media]) -> str:
        from monthlypost.render.cms import ghost_content

        url, _ = post.by_written(media)
        return ghost_content(post.settings, post.campaign, url)

    def _fields(self, post: Post, content: str, featured: Media | None) -> dict[str, Any]:
        return {
            "title": post.title,
            "html": content,
            "custom_excerpt": post.excerpt,
            "slug": post.slug,
            "published_at": post.date.isoformat(),
            "tags": [{"name": name} for name in [*post.categories, *post.tags]],  # categories first: the primary tag
            "feature_image": featured.url if featured else None,
        }

    def create(self, post: Post, content: str, terms: Terms, featured: Media | None) -> Held:
        body = {"posts": [{**self._fields(post, content, featured), "status": "draft"}]}
        _, data = self._call("POST", "/posts/?source=html&formats=html", "creating the post", body)
        return self._one(data, "posts")

    def update(self, held: Held, post: Post, content: str, terms: Terms, featured: Media | None) -> Held:
        fields = {**self._fields(post, content, featured), "updated_at": held.modified}  # no status
        _, data = self._call(
            "PUT", f"/posts/{held.id}/?source=html&formats=html", "updating the post", {"posts": [fields]}
        )
        return self._one(data, "posts")

    def schedule(self, held: Held, when: datetime.datetime | None) -> Held:
        """The post scheduled (status scheduled, at published_at), or back to a draft."""
        fields: dict[str, Any] = {"status": "draft", "updated_at": held.modified}
        if when is not None:
            fields.update(status="scheduled", published_at=when.astimezone(datetime.UTC).isoformat())
        _, data = self._call(
            "PUT", f"/posts/{held.id}/?source=html&formats=html", "scheduling the post", {"posts": [fields]}
        )
        return self._one(data, "posts")

    def put_back(self, held: Held, saved: dict[str, Any]) -> Held:
        fields = {key: saved[key] for key in KEPT if key in saved}
        fields["updated_at"] = held.modified
        _, data = self._call(
            "PUT", f"/posts/{held.id}/?source=html&formats=html", "restoring the post", {"posts": [fields]}
        )
        return self._one(data, "posts")


def connect(name: str, origin: str, prefix: str, key: str) -> Ghost:
    client = Client(name, origin, {"Accept-Version": API_VERSION}, secrets=(key,), setting=BLOG_SETTINGS)
    client.session.auth = Token(key, client.secrets)
    return Ghost(client, prefix)
