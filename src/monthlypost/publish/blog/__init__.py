"""blog push and restore (SPEC §11): the month's post on the author's WordPress or Ghost site, as a draft,
images and all; a channel of the publishing flow.

A new post is a draft. An update never sends the post's status, so a live
post stays live; it needs the diff and a yes when the post is live or was
edited on the site since monthlypost's last push, and whatever it replaces
is backed up first under .monthlypost/blog-backups/, for ``blog restore``.
The post's id, the hash of what was sent, and when the site last changed it
are kept in .monthlypost/blog-posts.json: nothing changed, nothing is sent;
a post deleted on the site is made anew. Each image is uploaded once (by
the hash of its bytes). A slug another post has is an error before anything
is written; so is a category the site lacks (tags are made when missing).
"""

from __future__ import annotations

import base64
import datetime
import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from monthlypost.errors import MonthlypostError, Problem, Problems
from monthlypost.paths import parse_json, read_bytes, read_state, state_folder, write_entry, write_state
from monthlypost.publish import secret, valid_id
from monthlypost.publish.blog.site import (
    BLOG_SETTINGS,
    KEY_VARIABLE,
    PASSWORD_VARIABLE,
    USER_VARIABLE,
    Held,
    Image,
    Media,
    Post,
    Site,
)
from monthlypost.publish.flow import CREATE, UNCHANGED, UPDATE, Channel, Confirm, Plan, Result, Say, carry_out, publish
from monthlypost.publish.http import Client, ProviderError
from monthlypost.published import posts_path

if TYPE_CHECKING:
    from collections.abc import Callable

    from monthlypost.build import Outcome
    from monthlypost.config import Settings
    from monthlypost.workspace import Workspace

BACKUPS = "blog-backups"
EDITED = "the post was edited on the site since monthlypost last pushed it"


# --- Connecting ------------------------------------------------------------------------------------------


def connect(settings: Settings) -> Site:
    """The site's adapter, its credentials from the environment; whatever is missing, said."""
    blog = settings.blog
    if blog.platform is None:
        raise MonthlypostError.at(settings.path, '[blog] platform: required for blog push: "wordpress" or "ghost"')
    if blog.api_url is None:
        raise MonthlypostError.at(
            settings.path, "[blog] api_url: required for blog push: your site's address, like https://example.com"
        )
    parts = urlsplit(blog.api_url)  # https://, or http:// on this machine (config.api_address)
    origin, prefix = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    if blog.platform == "ghost":
        from monthlypost.publish.blog.ghost import connect as ghost

        where = "(Settings → Integrations → Add custom integration)"
        key = secret(KEY_VARIABLE, f"your Ghost Admin API key {where}", "Admin API key", f"Ghost {where}")
        return ghost("Ghost", origin, prefix, key)
    from monthlypost.publish.blog.wordpress import WordPress

    user = secret(
        USER_VARIABLE,
        "your WordPress login name (the one you sign in with)",
        "login name",
        "WordPress (Users → Profile → Username)",
        True,
    )
    where = "(Users → Profile → Application Passwords → Add New)"
    password = secret(
        PASSWORD_VARIABLE, f"a WordPress application password {where}", "password", f"WordPress {where}", True
    )
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    client = Client("WordPress", origin, {}, auth=(user, password), secrets=(password, basic), setting=BLOG_SETTINGS)
    return WordPress(client, prefix, user)


# --- The post ------------------------------------------------------------------------------------------------


def post_for(workspace: Workspace, outcome: Outcome, site: Site) -> tuple[Post, list[Problem]]:
    """The month's post from its build; and a warning where the platform takes less than it has."""
    from monthlypost.campaign import read_campaign
    from monthlypost.outputs import RESERVED
    from monthlypost.paths import BadReference, output_name
    from monthlypost.render import published

    settings = workspace.settings
    problems = Problems()
    campaign = read_campaign(outcome.month, workspace.month_files(outcome.month), problems)
    if campaign is None:  # it built a moment ago: changed since
        raise MonthlypostError(problems.errors)
    written: dict[str, list[tuple[str, str]]] = {}
    for ref in campaign.script.references():
        if ref.kind == "image" and "://" not in ref.url:
            try:
                written.setdefault(output_name(ref.url, RESERVED), []).append((ref.url, ref.text))
            except BadReference:
                continue
    images = [
        Image(name, outcome.files[name], written[name][0][1], tuple(url for url, _ in written[name]))
        for name in campaign.images
        if name in written and name in outcome.files
    ]
    excerpt, notes = campaign.topic.summary, []
    if site.excerpt_max and len(excerpt) > site.excerpt_max:
        excerpt = excerpt[: site.excerpt_max - 1].rsplit(" ", 1)[0] + "…"
        notes.append(
            Problem(
                campaign.topic_path,
                f"summary: {len(campaign.topic.summary)} characters; {site.name} takes an excerpt of "
                f"{site.excerpt_max} at most, so the post's is cut at a word",
                "warning",
            )
        )
    post = Post(
        month=outcome.month,
        title=campaign.title,
        excerpt=excerpt,
        slug=campaign.slug,
        date=published(settings, campaign),
        categories=list(settings.blog.categories),
        tags=list(campaign.topic.keywords),
        images=images,
        campaign=campaign,
        settings=settings,
    )
    return post, notes


def post_text(title: str, excerpt: str, slug: str, date: str, content: str) -> str:
    from monthlypost.render.cms import as_text

    return "\n".join([f"Title: {title}", f"Excerpt: {excerpt}", f"Slug: {slug}", f"Date: {date}", "", as_text(content)])


def post_diff(held: Held, new: str, name: str, source: str) -> str:
    """From the post as the site holds it to ``new`` (a post_text, from ``source``), as a unified diff."""
    old = post_text(held.title, held.excerpt, held.slug, held.date, held.content)
    return "\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(), f"on {name} now", source, lineterm=""))


# --- Records and backups ---------------------------------------------------------------------------------------


def recorded(path: Path, month: str, site: Site, settings: Settings) -> dict[str, Any] | None:
    """The month's record for this site: its post (and what was sent), or a push that was making one."""
    record = read_state(path).get(month)
    if not isinstance(record, dict) or (record.get("platform"), record.get("site")) != (
        site.platform,
        settings.blog.api_url,
    ):
        return None
    if "id" in record and valid_id(record.get("id")) is None:
        raise MonthlypostError.at(
            path, f"damaged: {month}'s post id is not one {site.name} gives; remove {month}'s entry, and push again"
        )
    if "id" not in record and not isinstance(record.get("pending"), str):
        return None
    return record


def backup_folder(state: Path, site: Site, post_id: str) -> Path:
    return state_folder(state, BACKUPS, f"{site.platform}-{post_id}")


def save_backup(state: Path, site: Site, month: str, held: Held) -> Path:
    """The post as the site holds it, in a file of its own, before anything changes it."""
    now = datetime.datetime.now(datetime.UTC)
    path = backup_folder(state, site, held.id) / f"{now:%Y%m%dT%H%M%S.%fZ}.json"
    saved = {"platform": site.platform, "post_id": held.id, "month": month, "saved_at": now.isoformat()}
    write_state(path, {**saved, "status": held.status, "modified": held.modified, "post": held.raw})
    return path


def read_backup(path: Path, site: Site, post_id: str) -> dict[str, Any]:
    try:
        record = parse_json(read_bytes(path))
        post = record["post"]
    except (ValueError, KeyError, TypeError):
        raise MonthlypostError.at(path, f"not a monthlypost backup of a {site.name} post") from None
    if (record.get("platform"), str(record.get("post_id"))) != (site.platform, post_id) or not isinstance(post, dict):
        raise MonthlypostError.at(path, f"a backup of another post, not of {site.name} post {post_id}")
    return post


def newest_backup(state: Path, site: Site, post_id: str) -> Path:
    backups = sorted(backup_folder(state, site, post_id).glob("*.json"))
    if not backups:
        raise MonthlypostError.at(
            backup_folder(state, site, post_id),
            f"no backups of post {post_id} yet; 'monthlypost blog push' makes one before each change",
        )
    return backups[-1]


# --- The channel ----------------------------------------------------------------------------------------------


class Blog(Channel):
    """The month's post on the author's site."""

    name = "blog"

    def __init__(self, workspace: Workspace, schedule: str | None = None):
        self.workspace = workspace
        self.settings = workspace.settings
        self.site = connect(self.settings)
        self.path = posts_path(workspace.state)
        self.logged_in = False
        self.schedule = schedule  # "schedule", "unschedule" or None

    def prepare(self, outcomes: list[Outcome]) -> None:
        if outcomes:  # the login checked once, before any month is read
            self.site.login()
            self.logged_in = True

    def close(self) -> None:
        self.site.client.close()

    def _entry(self, held: Held, digest: str | None, media: dict[str, Media], built: Any = None) -> dict[str, Any]:
        return {
            "built": built,  # the build's inputs_sha256: what list compares with the current build
            "platform": self.site.platform,
            "site": self.settings.blog.api_url,
            "id": held.id,
            "sha256": digest,
            "modified": held.modified,
            "status": held.status,
            "link": held.link,
            "media": _listed(media),
        }

    def plan(self, outcome: Outcome, say: Say) -> Plan:
        site, month = self.site, outcome.month
        post, notes = post_for(self.workspace, outcome, site)
        record = recorded(self.path, month, site, self.settings)
        if record is not None and "id" not in record:  # a push that was making the post never heard back
            owners = site.slug_owners(record["pending"])
            record = {**record, "id": owners[0], "sha256": None, "modified": None} if owners else None
            if owners:
                say(f"{month}: found the post an earlier push made (id {owners[0]}) but could not record")
        held = site.read(str(record["id"])) if record is not None else None
        status = "created"
        if record is not None and (held is None or held.gone):
            say(f"{month}: the post was deleted on the site (or is in its trash); making a new one")
            held, status = None, "recreated"
        others = [owner for owner in site.slug_owners(post.slug) if held is None or owner != held.id]
        if others:
            raise MonthlypostError.at(
                post.campaign.topic_path,
                f"slug: '{post.slug}' is taken on the site by another post (id {', '.join(others)}), so nothing was "
                "written; give this month another slug in topic.toml, or delete that post",
            )
        terms = site.terms(post)
        media = self._known_media(record)
        content = site.content(post, media)
        digest = post.digest(site.content(post, {}))
        data = {"post": post, "terms": terms, "media": media, "record": record, "held": held, "status": status}
        data["built"] = outcome.manifest.get("inputs_sha256")  # what list compares with the month's build
        plan = self._content_plan(month, post, record, held, data, notes, content, digest)
        return self._with_schedule(plan, post, held) if self.schedule else plan

    def _content_plan(
        self,
        month: str,
        post: Post,
        record: dict[str, Any] | None,
        held: Held | None,
        data: dict[str, Any],
        notes: list[Problem],
        content: str,
        digest: str | None,
    ) -> Plan:
        site = self.site
        if held is None:
            show = f"{month}: a new draft on {site.name}: “{post.title}” at /{post.slug}"
            return Plan(month, CREATE, show=show, problems=notes, data=data)
        edited = held.modified != record.get("modified") if record else False
        if record and record.get("sha256") == digest:
            if edited:
                said = f"{month}: {EDITED}; this build is the same as then, so nothing was sent"
                notes.append(Problem(None, said, "warning"))
            return Plan(month, UNCHANGED, problems=notes, data={**data, "edited": edited})
        warnings = []
        if held.live:
            warnings.append(f"{month}: this post is live on the site ({held.status}): readers see the change at once")
        if edited:
            warnings.append(
                f"{month}: {EDITED}; this replaces that edit (it is backed up first: 'monthlypost blog restore' "
                "puts it back)"
            )
        question = f"Update {month}'s post on the site with these changes?"
        if warnings:
            question = f"{month}'s post is {'live' if held.live else 'edited on the site'}: replace it with this build?"
        date = post.date.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        diff = post_diff(held, post_text(post.title, post.excerpt, post.slug, date, content), site.name, "this build")
        show = "\n".join([diff or "Only the post's images changed.", *warnings])
        return Plan(month, UPDATE, show=show, question=question, problems=notes, data=data)

    def _with_schedule(self, plan: Plan, post: Post, held: Held | None) -> Plan:
        """The plan, with the post scheduled at the month's publish_at (or back to a draft) as well; checked
        first: a post that is out already is never scheduled or taken back, and the moment is ahead."""
        from monthlypost.moments import to_schedule, utc

        site, month = self.site, plan.month
        if held is not None and held.status in site.published:
            raise MonthlypostError.at(
                None,
                f"{month}: the post is live on the site ({held.status}); monthlypost never takes a live post back "
                "to a draft or a schedule",
            )
        when = to_schedule(self.workspace, month, "post")[1] if self.schedule == "schedule" else None
        status = site.scheduled if when else "draft"
        same_time = held is not None and when is not None and _same_instant(held.date, when)
        if held is not None and held.status == status and (when is None or same_time):
            return plan  # scheduled as it is to be already (or a draft, to unschedule)
        said = f"scheduled: live at {utc(when)} ({when:%Y-%m-%d %H:%M %Z})" if when else "a draft (not scheduled)"
        line = f"{month}: the post {'will be' if held is None else 'becomes'} {said}"
        plan.data["schedule"] = (when,)
        if plan.action == UNCHANGED:
            question = f"{'Schedule' if when else 'Unschedule'} {month}'s post?"
            plan.data["only_schedule"] = True
            return Plan(month, UPDATE, show=line, question=question, problems=plan.problems, data=plan.data)
        plan.show = "\n".join(filter(None, [plan.show, line]))
        return plan

    def unchanged(self, plan: Plan, dry_run: bool) -> Result:
        record, held = plan.data["record"], plan.data["held"]
        if not dry_run and record is not None:  # what list shows: the post's state as this push found it
            write_entry(self.path, plan.month, {**record, "status": held.status, "edited_on_site": plan.data["edited"]})
        return Result(plan.month, "unchanged", list(plan.problems))

    def _known_media(self, record: dict[str, Any] | None) -> dict[str, Media]:
        known = record.get("media") if record else None
        return {
            sha: Media(str(m["id"]), str(m["url"]))
            for sha, m in (known.items() if isinstance(known, dict) else [])
            if isinstance(m, dict) and "id" in m and "url" in m
        }

    def _uploaded(self, post: Post, media: dict[str, Media], month: str) -> dict[str, Media]:
        """Every image in the media library, each uploaded once: the known ones checked to be there still, each
        new one recorded the moment it is uploaded (so a push that fails later never uploads it again)."""
        media = dict(media)
        for image in post.images:
            known = media.get(image.sha256)
            if known is not None and self.site.media_exists(known):
                continue
            media[image.sha256] = self.site.upload(image)
            entry = read_state(self.path).get(month)
            write_entry(self.path, month, {**(entry if isinstance(entry, dict) else {}), "media": _listed(media)})
        return media

    def write(self, plan: Plan) -> Result:
        result = self._write_content(plan) if not plan.data.get("only_schedule") else None
        if "schedule" not in plan.data:
            assert result is not None
            return result
        site, month, data = self.site, plan.month, plan.data
        (when,) = data["schedule"]
        record = read_state(self.path).get(month) or {}
        now = site.read(str(record.get("id"))) if "id" in record else None
        if now is None or (result is None and now.modified != data["held"].modified):
            raise MonthlypostError.at(
                None,
                f"{month}: the post changed on the site since monthlypost read it (or was deleted); it was not "
                "scheduled. Push again to see the post as it is now",
            )
        held = site.schedule(now, when)
        write_entry(self.path, month, {**record, "status": held.status, "modified": held.modified, "link": held.link})
        said = f"scheduled for {held.date}" if when else "a draft again"
        status = result.status if result else ("scheduled" if when else "unscheduled")
        return Result(month, status, detail=f"post {held.id}: {said}")

    def _write_content(self, plan: Plan) -> Result:
        site, month, data = self.site, plan.month, plan.data
        post, terms, record = data["post"], data["terms"], data["record"]
        if plan.action == CREATE:  # before anything is written: a push is making this month's post, at its slug
            pending = {"platform": site.platform, "site": self.settings.blog.api_url, "pending": post.slug}
            write_entry(self.path, month, {**pending, "media": (record or {}).get("media", {})})
        media = self._uploaded(post, data["media"], month)
        terms = site.make_terms(terms)
        featured_image = post.featured()
        featured = media.get(featured_image.sha256) if featured_image else None
        content = site.content(post, media)
        digest = post.digest(site.content(post, {}))
        if plan.action == UPDATE:
            now = site.read(data["held"].id)
            if now is None or now.modified != data["held"].modified:
                raise MonthlypostError.at(
                    None,
                    f"{month}: the post changed on the site since monthlypost read it (or was deleted); nothing was "
                    "sent, so that change stays. Push again to see the difference from the post as it is now",
                )
            save_backup(self.workspace.state, site, month, now)
            held = site.update(now, post, content, terms, featured)
            write_entry(self.path, month, self._entry(held, digest, media, data["built"]))
            return Result(month, "updated", detail=f"post {held.id}: {held.link}")
        try:
            held = site.create(post, content, terms, featured)
        except ProviderError as err:
            if not err.ambiguous:
                raise
            owners = site.slug_owners(post.slug)
            if not owners:
                raise ProviderError(
                    f"{err}; monthlypost found no post it made, and looks again at the next push"
                ) from None
            found = site.read(owners[0])
            if found is None:
                raise ProviderError(f"{err}; and the post it made is gone again") from None
            held = found
        try:
            write_entry(self.path, month, self._entry(held, digest, media, data["built"]))
        except MonthlypostError as failure:
            raise MonthlypostError.at(
                self.path,
                f"{failure.problems[0].message}: the post is on the site (id {held.id}), but monthlypost could not "
                "record it; the next push finds it by its slug",
            ) from None
        return Result(month, data["status"], detail=f"post {held.id}: {held.link}")


def push(
    workspace: Workspace,
    months: list[str],
    dry_run: bool,
    confirm: Confirm,
    say: Say,
    done: Callable[[Result], None],
    schedule: str | None = None,
) -> list[Result]:
    results, _ = publish(workspace, months, Blog(workspace, schedule), dry_run, confirm, say, done)
    return results


def _same_instant(held: str, when: datetime.datetime) -> bool:
    """Whether a post's date as its site gives it (WordPress's date_gmt without an offset, Ghost's ISO time)
    is ``when``."""
    try:
        found = datetime.datetime.fromisoformat(held.replace("Z", "+00:00"))
    except ValueError:
        return False
    if found.tzinfo is None:
        found = found.replace(tzinfo=datetime.UTC)
    return found == when


def _listed(media: dict[str, Media]) -> dict[str, dict[str, str]]:
    """The images in the site's media library, as the record keeps them: by the hash of their bytes."""
    return {sha: {"id": m.id, "url": m.url} for sha, m in media.items()}


# --- restore -------------------------------------------------------------------------------------------------------


class Restore(Blog):
    """A backup put back over the month's post."""

    def __init__(self, workspace: Workspace, backup: Path | None):
        super().__init__(workspace)
        self.backup = backup

    def plan_month(self, month: str) -> Plan:
        record = recorded(self.path, month, self.site, self.settings)
        if record is None or "id" not in record:
            raise MonthlypostError.at(
                self.path, f"{month}: no post of this month on the site yet; 'monthlypost blog push {month}' makes one"
            )
        self.site.login()
        post_id = str(record["id"])
        path = self.backup or newest_backup(self.workspace.state, self.site, post_id)
        saved = read_backup(path, self.site, post_id)
        held = self.site.read(post_id)
        if held is None or held.gone:
            raise MonthlypostError.at(None, f"{month}: the post is no longer on the site; nothing to restore it over")
        title, content = str(saved.get("title", "")), str(saved.get("content", saved.get("html", "")))
        excerpt = str(saved.get("excerpt", saved.get("custom_excerpt", "")))
        slug, date = str(saved.get("slug", "")), str(saved.get("date_gmt", saved.get("published_at", "")))
        diff = post_diff(held, post_text(title, excerpt, slug, date, content), self.site.name, str(path))
        data = {"record": record, "held": held, "saved": saved}
        if not diff:
            return Plan(month, UNCHANGED, data=data)
        live = [f"{month}: this post is live on the site: readers see the change at once"] if held.live else []
        question = f"Restore {month}'s post from this backup?"
        return Plan(month, UPDATE, show="\n".join([diff, *live]), question=question, data=data)

    def write(self, plan: Plan) -> Result:
        data, month = plan.data, plan.month
        now = self.site.read(data["held"].id)
        if now is None or now.modified != data["held"].modified:
            raise MonthlypostError.at(None, f"{month}: the post changed on the site meanwhile; nothing was sent")
        save_backup(self.workspace.state, self.site, month, now)
        held = self.site.put_back(now, data["saved"])
        entry = {**data["record"], "sha256": None, "modified": held.modified, "status": held.status}
        write_entry(self.path, month, entry)  # what the site holds is the backup's now: the next push shows the diff
        return Result(month, "restored", detail=f"post {held.id}: {held.link}")


def restore(
    workspace: Workspace, month: str, backup: Path | None, confirm: Confirm, say: Say, done: Callable[[Result], None]
) -> Result:
    channel = Restore(workspace, backup)
    try:
        result = carry_out(channel, month, lambda say: channel.plan_month(month), False, confirm, say)
    finally:
        channel.close()
    done(result)
    return result
