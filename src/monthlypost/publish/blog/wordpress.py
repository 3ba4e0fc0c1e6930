"""WordPress's REST API (developer.wordpress.org/rest-api): posts, media, categories, tags, with an
application password over HTTP Basic.

The API is at /wp-json/ where the site has pretty permalinks, and at
?rest_route= where it has not (the REST handbook's "Routes & Endpoints").
The post's body is block markup (render/cms.py), so it opens in the block
editor as blocks. A login that fails is told apart as far as WordPress
lets it be (see WordPress.login).
"""

from __future__ import annotations

import datetime
import html
from typing import Any
from urllib.parse import quote, unquote, urlencode

from monthlypost.publish.blog.site import PASSWORD_VARIABLE, USER_VARIABLE, Held, Image, Media, Post, Site, Terms
from monthlypost.publish.http import Client, ProviderError, provider_message

LIVE = ("publish", "future", "private")
PUBLISHED = ("publish", "private")  # out already: never scheduled, nor taken back to a draft
SCHEDULED = "future"
KEPT = ("title", "content", "excerpt", "slug", "date_gmt", "categories", "tags", "featured_media")

DROPPED_HEADER = (
    "if it is, the site's web server drops the Authorization header before WordPress sees it (common with Apache "
    "running PHP as CGI or FPM): ask your host to pass it on, or add to the site's .htaccess: SetEnvIf "
    'Authorization "(.*)" HTTP_AUTHORIZATION=$1'
)
NOT_A_USER = (
    f"WordPress has no author '{{user}}': {USER_VARIABLE} is the name you sign in to WordPress with (Users → "
    "Profile → Username), not the name you gave the application password"
)
NOT_TAKEN = (
    f"WordPress did not accept the login of '{{user}}': {PASSWORD_VARIABLE} must be one of their application "
    "passwords (Users → Profile → Application Passwords → Add New; the sign-in password does not work here), "
    f"copied whole (its spaces do not matter); {DROPPED_HEADER}"
)
PASSWORDS_OFF = (
    "the site has application passwords turned off: a security plugin does this, and WordPress does it for a "
    "site not served over https. Allow them (in the plugin's settings), or serve the site over https"
)
LOGIN = {  # WordPress's own codes for a login it refused, where it gives them (see login())
    "invalid_username": NOT_A_USER,
    "invalid_email": f"WordPress has no user with the email address '{{user}}': check {USER_VARIABLE}",
    "incorrect_password": NOT_TAKEN,
    "application_passwords_disabled": PASSWORDS_OFF,
    "application_passwords_disabled_for_user": "application passwords are turned off for '{user}' on the site",
}


class WordPress(Site):
    name = "WordPress"
    platform = "wordpress"
    published = PUBLISHED
    scheduled = SCHEDULED

    def __init__(self, client: Client, prefix: str, user: str):
        super().__init__(client, prefix)
        self.user = user
        self.pretty: bool | None = None  # whether the API is at /wp-json/; found out by login()

    def route(self, path: str, **query: Any) -> str:
        """A REST route's address under the site, as its permalinks have it."""
        query = {k: v for k, v in query.items() if v is not None}
        if self.pretty:
            return f"{self.prefix}/wp-json{path}" + (f"?{urlencode(query, doseq=True)}" if query else "")
        return f"{self.prefix}/?rest_route={quote(path)}" + (f"&{urlencode(query, doseq=True)}" if query else "")

    def _call(self, method: str, path: str, doing: str, body: Any = None, missing: bool = False, **query: Any) -> Any:
        return self.client.request(method, self.route(path, **query), body, self._explain, missing=missing, doing=doing)

    # --- finding the API, and the login ---------------------------------------------------------------

    def login(self) -> None:
        """The API found, and the login checked, each refusal told apart as far as WordPress lets it be.

        WordPress (6.1, as tests/wordpress.py runs it) answers a wrong application password, an unknown user
        and an Authorization header dropped on the way alike: 401 rest_not_logged_in (its REST server clears
        the current user, and logs the request in only after checking for login errors). So: application
        passwords turned off are told by the REST index, which then lists no application-passwords
        authentication; an unknown login name by the site's authors, whom anyone may list; and the rest by
        what is left (the password, or the header)."""
        index = self._find_api()
        if "application-passwords" not in (index.get("authentication") or {}):
            raise ProviderError(f"WordPress: {PASSWORDS_OFF}")
        try:
            _, me = self._call("GET", "/wp/v2/users/me", "checking the login", context="edit")
        except ProviderError as err:
            if err.status == 401 and isinstance(err.body, dict) and err.body.get("code") == "rest_not_logged_in":
                known = "@" in self.user or self._is_author(self.user)
                raise ProviderError(
                    f"WordPress: {(NOT_TAKEN if known else NOT_A_USER).format(user=self.user)}"
                ) from None
            raise
        capabilities = me.get("capabilities") if isinstance(me, dict) else None
        if isinstance(capabilities, dict):
            lacking = [c for c in ("edit_posts", "upload_files") if not capabilities.get(c)]
            if lacking:
                raise ProviderError(
                    f"WordPress: '{self.user}' may not {' or '.join(_CAN[c] for c in lacking)} on the site; "
                    "ask its administrator for the Author role or above"
                )

    def _is_author(self, user: str) -> bool:
        """Whether the site lists an author by this login name (anyone may list those who have published)."""
        status, found = self._call("GET", "/wp/v2/users", "looking for the author", missing=True, search=user)
        wanted = user.casefold()
        return status == 200 and any(
            isinstance(u, dict) and wanted in (str(u.get("slug", "")).casefold(), str(u.get("name", "")).casefold())
            for u in (found if isinstance(found, list) else [])
        )

    def _find_api(self) -> dict[str, Any]:
        for pretty in (True, False):
            self.pretty = pretty
            status, data = self.client.request("GET", self.route("/"), missing=True, doing="looking for its REST API")
            if status == 200 and isinstance(data, dict) and "wp/v2" in (data.get("namespaces") or []):
                return data
        raise ProviderError(
            f"no WordPress REST API at {self.client.origin}{self.prefix} (neither /wp-json/ nor ?rest_route=/ "
            "answers as WordPress does): check [blog] api_url (the site's address), and that no plugin turns the "
            "REST API off"
        )

    def _explain(self, status: int, data: Any) -> str | None:
        code = data.get("code") if isinstance(data, dict) else None
        if status == 401 and code in LOGIN:
            return f"WordPress: {LOGIN[code].format(user=self.user)}"
        if status == 401 and code != "rest_not_logged_in":
            said = provider_message(data)
            return f"WordPress refused the login ({said or status}); check {USER_VARIABLE} and {PASSWORD_VARIABLE}"
        if status == 403:
            said = provider_message(data)
            return f"WordPress: '{self.user}' may not do that on the site (“{said}”); ask its administrator"
        return None

    # --- posts ---------------------------------------------------------------------------------------------

    def read(self, post_id: str) -> Held | None:
        status, data = self._call("GET", f"/wp/v2/posts/{post_id}", "reading the post", missing=True, context="edit")
        return None if status == 404 else self._one(data)

    def _held(self, data: dict[str, Any]) -> Held:
        def raw(key: str) -> str:
            value = data.get(key)
            return str(value.get("raw", value.get("rendered", ""))) if isinstance(value, dict) else str(value or "")

        status = str(data.get("status", ""))
        kept = {key: data.get(key) for key in KEPT}
        kept.update({key: raw(key) for key in ("title", "content", "excerpt")})
        return Held(
            id=str(data["id"]),
            status=status,
            modified=str(data.get("modified_gmt", "")),
            link=str(data.get("link", "")),
            title=raw("title"),
            content=raw("content"),
            excerpt=raw("excerpt"),
            slug=unquote(str(data.get("slug", ""))),  # WordPress keeps a slug in Arabic as %d9%84%d9…
            date=str(data.get("date_gmt", "")),
            live=status in LIVE,
            gone=status == "trash",
            raw=kept,
        )

    def slug_owners(self, slug: str) -> list[str]:
        _, found = self._call(
            "GET",
            "/wp/v2/posts",
            "looking for posts at the slug",
            slug=slug,
            status="any",
            context="edit",
            per_page=100,
        )
        return (
            [str(post["id"]) for post in found if isinstance(post, dict) and "id" in post]
            if isinstance(found, list)
            else []
        )

    def terms(self, post: Post) -> Terms:
        terms = Terms()
        missing = []
        for name in post.categories:
            found = self._term("categories", name)
            if found is None:
                missing.append(name)
            else:
                terms.categories.append(found)
        if missing:
            raise ProviderError(
                f"[blog] categories: the site has no category {', '.join(repr(m) for m in missing)}; make it in "
                "WordPress (Posts → Categories), or correct the name"
            )
        for name in post.tags:
            found = self._term("tags", name)
            if found is None:
                terms.new_tags.append(name)
            else:
                terms.tags.append(found)
        return terms

    def _term(self, kind: str, name: str) -> int | None:
        _, found = self._call("GET", f"/wp/v2/{kind}", f"looking up the {kind}", search=name, per_page=100)
        for term in found if isinstance(found, list) else []:
            if isinstance(term, dict) and html.unescape(str(term.get("name", ""))).casefold() == name.casefold():
                return int(term["id"])
        return None

    def make_terms(self, terms: Terms) -> Terms:
        made = []
        for name in terms.new_tags:
            try:
                _, data = self._call("POST", "/wp/v2/tags", f"making the tag '{name}'", {"name": name})
            except ProviderError as err:  # made meanwhile (or by a push whose answer was lost): taken as it is
                existing = err.body.get("data", {}).get("term_id") if isinstance(err.body, dict) else None
                if err.status != 400 or not isinstance(existing, int):
                    raise
                data = {"id": existing}
            made.append(int(data["id"]))
        return Terms(terms.categories, [*terms.tags, *made])

    def media_exists(self, media: Media) -> bool:
        status, _ = self._call("GET", f"/wp/v2/media/{media.id}", "looking for an image", missing=True, context="edit")
        return status != 404

    def upload(self, image: Image) -> Media:
        _, data = self.client.request(
            "POST",
            self.route("/wp/v2/media"),
            {"alt_text": image.alt, "title": image.name.rsplit(".", 1)[0]},
            self._explain,
            doing=f"uploading {image.name}",
            files={"file": (image.name, image.data, image.mime)},
        )
        if not isinstance(data, dict) or "id" not in data or not data.get("source_url"):
            raise ProviderError(f"WordPress answered the upload of {image.name} without its address", ambiguous=True)
        return Media(str(data["id"]), str(data["source_url"]))

    def content(self, post: Post, media: dict[str, Media]) -> str:
        from monthlypost.render.cms import wordpress_content

        url, media_id = post.by_written(media)
        return wordpress_content(post.settings, post.campaign, url, media_id)

    def _fields(self, post: Post, content: str, terms: Terms, featured: Media | None) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "title": post.title,
            "content": content,
            "excerpt": post.excerpt,
            "slug": post.slug,
            "date_gmt": post.date.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "categories": terms.categories,
            "tags": terms.tags,
        }
        if featured is not None and self._thumbnails():
            fields["featured_media"] = int(featured.id)
        return fields

    def _thumbnails(self) -> bool:
        """Whether the active theme shows featured images; if the site will not say, assumed so."""
        status, themes = self._call("GET", "/wp/v2/themes", "reading the theme", missing=True, status="active")
        try:
            supports = themes[0]["theme_supports"]["post-thumbnails"]
        except (TypeError, KeyError, IndexError):
            return True
        return bool(supports) and (supports is True or "post" in supports)

    def create(self, post: Post, content: str, terms: Terms, featured: Media | None) -> Held:
        body = {**self._fields(post, content, terms, featured), "status": "draft"}
        _, data = self._call("POST", "/wp/v2/posts", "creating the post", body, context="edit")
        return self._one(data)

    def update(self, held: Held, post: Post, content: str, terms: Terms, featured: Media | None) -> Held:
        body = self._fields(post, content, terms, featured)  # no status: a live post stays live
        _, data = self._call("POST", f"/wp/v2/posts/{held.id}", "updating the post", body, context="edit")
        return self._one(data)

    def schedule(self, held: Held, when: datetime.datetime | None) -> Held:
        """The post scheduled (status future, at date_gmt: WP-Cron publishes it then), or back to a draft."""
        body: dict[str, Any] = {"status": "draft"}
        if when is not None:
            body = {"status": "future", "date_gmt": when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")}
        _, data = self._call("POST", f"/wp/v2/posts/{held.id}", "scheduling the post", body, context="edit")
        return self._one(data)

    def put_back(self, held: Held, saved: dict[str, Any]) -> Held:
        body = {key: saved[key] for key in KEPT if key in saved and saved[key] is not None}
        _, data = self._call("POST", f"/wp/v2/posts/{held.id}", "restoring the post", body, context="edit")
        return self._one(data)


_CAN = {"edit_posts": "write posts", "upload_files": "upload images"}
