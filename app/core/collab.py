"""Collaboration on any record of any module: comments with @mentions, and followers who are
told when the record changes (the notices themselves are sent by app.core.change_notices).

A record is named by its module spec and id ("customers", 42), so every module gets both
without declaring anything. Whoever may see a record (read permission on its module and the
record inside their data scope) may read and write its comments; nobody else learns that
they exist. Mentions and change notices reach only people who may see the record too.
"""
from __future__ import annotations

import re

from flask import current_app
from flask_appbuilder import Model
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import (Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, delete, func,
                        select, update)
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.notify import notify
from app.core.panels import ShowTab, register_tab
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db

BODY_MAX = 5000
SUMMARY_AFTER = 1   # one change, one notice per person: several records changed at once are one summary
# "@lina" or "@张伟": a mention runs up to whitespace, another @ or punctuation.
MENTION = re.compile(r"@([^\s@,，。、:：;；!！?？()（）\[\]【】<>《》\"'“”‘’]+)")


# -- tables ------------------------------------------------------------------------------------
class Comment(Audited, Model):
    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_record", "spec", "record_id", "id"), {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    spec = Column(String(64), nullable=False)          # module spec name, e.g. "customers"
    record_id = Column(Integer, nullable=False)
    author_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    edited_at = Column(DateTime)

    author = relationship("AppUser", lazy="joined")

    def __str__(self) -> str:
        return (self.body or "")[:50]


class Follower(Model):
    __tablename__ = "follower"
    __table_args__ = (UniqueConstraint("spec", "record_id", "user_id", name="uq_follower"),)

    id = Column(Integer, primary_key=True)
    spec = Column(String(64), nullable=False)
    record_id = Column(Integer, nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    user = relationship("AppUser", lazy="joined")


# -- who may see what --------------------------------------------------------------------------
def _registry():
    from app.core.registry import registry  # the frame knows modules only through the registry

    return registry


def spec_named(name: str):
    """The module spec called `name`, or NotFound."""
    spec = _registry().specs.get(name or "")
    if spec is None:
        raise NotFound("collab.no_record", _("The record does not exist, or you may not see it."))
    return spec


def may_read_module(user, spec) -> bool:
    """Whether `user`'s roles grant reading `spec`'s module (the same permission its list needs)."""
    if user is None or not getattr(user, "is_active", True):
        return False
    return bool(current_app.appbuilder.sm._has_view_access(user, "can_read", spec.permission_name))


def may_see_record(user, spec, record_id: int) -> bool:
    """Read permission on the module and the record inside the user's data scope."""
    return may_read_module(user, spec) and can_see(spec.name, user, record_id)


def find_record(actor, spec_name: str, record_id):
    """(spec, record) when `actor` may see it. Forbidden without read permission on the module;
    NotFound when the record does not exist or lies outside the actor's data scope (the same
    answer for both, so its existence is not revealed)."""
    spec = spec_named(spec_name)
    if not may_read_module(actor, spec):
        raise Forbidden("collab.forbidden", _("You do not have permission to do this."))
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        raise NotFound("collab.no_record", _("The record does not exist, or you may not see it.")) from None
    record = db.session.get(spec.model, record_id)
    if record is None or not can_see(spec.name, actor, record_id):
        raise NotFound("collab.no_record", _("The record does not exist, or you may not see it."))
    return spec, record


def record_link(spec_name: str, record_id: int, tab: str = "") -> str:
    return f"/{spec_name}/show/{record_id}" + (f"#zwt-tab-{tab}" if tab else "")


def _default_locale():
    # Notices are read by other people, later: in the company's language, as the digest is.
    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


# -- mentions ----------------------------------------------------------------------------------
def _active_users():
    from app.core.org import User

    return select(User).where(User.active.is_(True))


def resolve_mentions(body: str) -> tuple[list, list[str]]:
    """The users @mentioned in `body` and the mentions that name nobody for sure.

    "@username" matches a user name (any case); otherwise "@显示名" matches a display name
    (family + given name) when exactly one active user has it. Chinese is often typed without
    a space after the name ("@张伟你好"), so the longest display name the text starts with wins.
    """
    from app.core.org import User

    users, unresolved, seen = [], [], set()
    # A user name may contain dots, but a sentence may also end right after one ("@lina.").
    for token in dict.fromkeys(t.rstrip(".") for t in MENTION.findall(body or "") if t.rstrip(".")):
        user = db.session.scalar(_active_users().where(func.lower(User.username) == token.lower()))
        if user is None:
            prefixes = [token[:n] for n in range(len(token), 1, -1)]
            display = func.coalesce(User.last_name, "") + func.coalesce(User.first_name, "")
            rows = db.session.execute(
                _active_users().add_columns(display.label("display")).where(display.in_(prefixes))
            ).all()
            for prefix in prefixes:
                matches = [u for u, name in rows if name == prefix]
                if matches:
                    user = matches[0] if len(matches) == 1 else None
                    break
        if user is None:
            unresolved.append(token)
        elif user.id not in seen:
            seen.add(user.id)
            users.append(user)
    return users, unresolved


# -- comments ----------------------------------------------------------------------------------
def _clean_body(body) -> str:
    body = (body or "").strip()
    if not body:
        raise DomainError("collab.empty", _("Please write something first."), field="body")
    if len(body) > BODY_MAX:
        raise DomainError("collab.too_long", _("A comment can have at most %(n)d characters.", n=BODY_MAX),
                          field="body")
    return body


def comments_on(actor, spec_name: str, record_id) -> list[Comment]:
    """The comments on a record the actor may see, oldest first."""
    spec, record = find_record(actor, spec_name, record_id)
    return list(db.session.scalars(
        select(Comment).where(Comment.spec == spec.name, Comment.record_id == record.id).order_by(Comment.id)))


def comment_count(spec_name: str, record_id: int) -> int:
    return db.session.scalar(comment_count_query(spec_name, record_id)) or 0


def comment_count_query(spec_name: str, record_id: int):
    return select(func.count()).select_from(Comment).where(Comment.spec == spec_name, Comment.record_id == record_id)


def _notify_mentions(uow, actor, spec, record, comment, users) -> list:
    """Tell each mentioned user who may see the record; returns those told."""
    told = [u for u in users if u.id != actor.id and may_see_record(u, spec, record.id)]
    if told:
        with _default_locale():
            title = _("%(author)s mentioned you on %(module)s “%(record)s”", author=actor.display_name,
                      module=spec.label, record=str(record))
        notify(uow, told, title, comment.body, link=record_link(spec.name, record.id, "comments"))
    return told


def _notify_followers_of_comment(uow, actor, spec, record, comment, skip_ids: set) -> None:
    recipients = [u for u in watchers_of(spec, record) if u.id != actor.id and u.id not in skip_ids
                  and may_see_record(u, spec, record.id)]
    if recipients:
        with _default_locale():
            title = _("%(author)s commented on %(module)s “%(record)s”", author=actor.display_name,
                      module=spec.label, record=str(record))
        notify(uow, recipients, title, comment.body, link=record_link(spec.name, record.id, "comments"), mail=False)


def add_comment(actor, spec_name: str, record_id, body: str) -> tuple[Comment, list[str]]:
    """Comment on a record the actor may see. The author starts following the record; each
    @mentioned user who may see it is notified (in-app and by mail), other followers in-app.

    Returns the comment and the mentions that named nobody for sure (to tell the author).
    Raises NotFound / Forbidden for records the actor may not see, DomainError for an empty
    or over-long text; nothing is written then.
    """
    with unit_of_work(actor) as uow:
        spec, record = find_record(actor, spec_name, record_id)
        body = _clean_body(body)
        comment = Comment(spec=spec.name, record_id=record.id, author_id=actor.id, body=body)
        db.session.add(comment)
        db.session.flush()
        _follow(actor, spec, record.id)
        mentioned, unresolved = resolve_mentions(body)
        told = _notify_mentions(uow, actor, spec, record, comment, mentioned)
        _notify_followers_of_comment(uow, actor, spec, record, comment, {u.id for u in told})
    return comment, unresolved


def _own_comment(actor, comment_id) -> Comment:
    comment = db.session.get(Comment, comment_id) if str(comment_id).isdigit() else None
    if comment is None:
        raise NotFound("collab.no_comment", _("The comment does not exist, or you may not see it."))
    try:
        find_record(actor, comment.spec, comment.record_id)
    except (NotFound, Forbidden):
        raise NotFound("collab.no_comment", _("The comment does not exist, or you may not see it.")) from None
    if comment.author_id != actor.id:
        raise Forbidden("collab.not_author", _("Only its author may change or delete a comment."))
    return comment


def visible_comment(actor, comment_id) -> Comment:
    """A comment on a record the actor may see (anyone's), or NotFound."""
    comment = db.session.get(Comment, comment_id) if str(comment_id).isdigit() else None
    if comment is None:
        raise NotFound("collab.no_comment", _("The comment does not exist, or you may not see it."))
    try:
        find_record(actor, comment.spec, comment.record_id)
    except (NotFound, Forbidden):
        raise NotFound("collab.no_comment", _("The comment does not exist, or you may not see it.")) from None
    return comment


def edit_comment(actor, comment_id, body: str) -> tuple[Comment, list[str]]:
    """Change the text of the actor's own comment. Only users newly @mentioned by the edit are
    notified. Forbidden for other people's comments."""
    with unit_of_work(actor) as uow:
        comment = _own_comment(actor, comment_id)
        body = _clean_body(body)
        before = {u.id for u in resolve_mentions(comment.body)[0]}
        if body != comment.body:
            comment.body = body
            comment.edited_at = utcnow()
        mentioned, unresolved = resolve_mentions(body)
        spec, record = find_record(actor, comment.spec, comment.record_id)
        _notify_mentions(uow, actor, spec, record, comment, [u for u in mentioned if u.id not in before])
    return comment, unresolved


def delete_comment(actor, comment_id) -> None:
    """Delete the actor's own comment. Forbidden for other people's comments."""
    with unit_of_work(actor):
        db.session.delete(_own_comment(actor, comment_id))


# -- followers ---------------------------------------------------------------------------------
def _follow(user, spec, record_id: int) -> bool:
    exists = db.session.scalar(select(Follower.id).where(
        Follower.spec == spec.name, Follower.record_id == record_id, Follower.user_id == user.id))
    if exists:
        return False
    db.session.add(Follower(spec=spec.name, record_id=record_id, user_id=user.id))
    db.session.flush()
    return True


def follow(actor, spec_name: str, record_id) -> bool:
    """The actor follows a record they may see (idempotent); True if they did not before."""
    with unit_of_work(actor):
        spec, record = find_record(actor, spec_name, record_id)
        return _follow(actor, spec, record.id)


def unfollow(actor, spec_name: str, record_id) -> bool:
    """The actor stops following a record; True if they followed it."""
    with unit_of_work(actor):
        spec, record = find_record(actor, spec_name, record_id)
        return bool(db.session.execute(delete(Follower).where(
            Follower.spec == spec.name, Follower.record_id == record.id, Follower.user_id == actor.id)).rowcount)


def followers_of(spec_name: str, record_id: int) -> list:
    from app.core.org import User

    return list(db.session.scalars(
        select(User).join(Follower, Follower.user_id == User.id)
        .where(Follower.spec == spec_name, Follower.record_id == record_id).order_by(Follower.id)))


def is_following(user, spec_name: str, record_id: int) -> bool:
    return db.session.scalar(select(Follower.id).where(
        Follower.spec == spec_name, Follower.record_id == record_id, Follower.user_id == user.id)) is not None


def _owner_id(spec, record):
    scope = spec.scope
    if scope is None or scope.via or not scope.owner:
        return None
    return getattr(record, scope.owner, None)


def watchers_of(spec, record) -> list:
    """Followers of the record and its owner, active ones, each once."""
    from app.core.org import User

    users = {u.id: u for u in followers_of(spec.name, record.id)}
    owner_id = _owner_id(spec, record)
    if owner_id and owner_id not in users:
        owner = db.session.get(User, owner_id)
        if owner is not None:
            users[owner.id] = owner
    return [u for u in users.values() if u.active]


def move_references(spec_names, from_id: int, to_id: int) -> dict:
    """Comments and followers of record `from_id` now belong to `to_id` (when two records are
    merged). A user following both follows the survivor once. Runs in the caller's transaction;
    returns {"comments": n, "followers": n} moved."""
    spec_names = list(spec_names)
    moved_comments = db.session.execute(
        update(Comment).where(Comment.spec.in_(spec_names), Comment.record_id == from_id)
        .values(record_id=to_id).execution_options(synchronize_session=False)).rowcount
    both = select(Follower.user_id).where(Follower.spec.in_(spec_names), Follower.record_id == to_id)
    db.session.execute(delete(Follower).where(Follower.spec.in_(spec_names), Follower.record_id == from_id,
                                              Follower.user_id.in_(both)).execution_options(synchronize_session=False))
    moved_followers = db.session.execute(
        update(Follower).where(Follower.spec.in_(spec_names), Follower.record_id == from_id)
        .values(record_id=to_id).execution_options(synchronize_session=False)).rowcount
    return {"comments": moved_comments or 0, "followers": moved_followers or 0}


def already_told(uow, spec_name: str, record_id: int, user_ids) -> None:
    """The caller has told these people about its change to the record itself (the approval
    engine tells the submitter "approved"): they get no change notice for it as well."""
    told = getattr(uow, "_collab_told", None)
    if told is None:
        told = uow._collab_told = {}
    told.setdefault((spec_name, record_id), set()).update(u for u in user_ids if u is not None)


# -- showing comments --------------------------------------------------------------------------
def highlight_mentions(body: str) -> Markup:
    """The comment text, escaped, with @mentions emphasised. Mentions are found in the text as
    typed and each piece is escaped on its own: matched in escaped text, a mention would run
    into an entity ("@lina&lt") and cut it in two."""
    body = body or ""
    pieces, last = [], 0
    for match in MENTION.finditer(body):
        pieces.append(Markup.escape(body[last:match.start()]))
        pieces.append(Markup('<span class="zwt-mention">%s</span>') % match.group(0))
        last = match.end()
    pieces.append(Markup.escape(body[last:]))
    return Markup("").join(pieces)


def register(appbuilder) -> None:
    """Comments tab on every show page, its screens and its API."""
    from app.core.collab_views import CommentApi, CommentsView, render_tab

    register_tab(ShowTab(key="comments", label=_l("Comments"), render=render_tab, order=60,
                         badge=lambda spec, item: comment_count(spec.name, item.id) or None,
                         count=lambda spec, item: comment_count_query(spec.name, item.id)))
    appbuilder.add_view_no_menu(CommentsView)
    appbuilder.add_api(CommentApi)


# Last, because change notices build on the tables and rules above; importing them registers
# the flush listener that collects changes wherever collaboration is in use.
from app.core import change_notices  # noqa: E402,F401
