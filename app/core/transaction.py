"""The unit of work every service function runs in.

One transaction, the actor recorded for the audit trail, and side effects (notifications,
e-mails, jobs) run only after the commit succeeded.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from app.core.org import user_id
from app.extensions import db


class UnitOfWork:
    def __init__(self, actor):
        self.actor = actor
        self._after_commit: list[Callable[[], None]] = []
        self._before_commit: list[Callable[[], None]] = []

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the transaction has committed; never if it rolls back."""
        self._after_commit.append(fn)

    def before_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn` inside the transaction, after its last flush, just before it commits."""
        self._before_commit.append(fn)


@contextmanager
def unit_of_work(actor) -> Iterator[UnitOfWork]:
    """Commit on success, roll back on any exception (and re-raise it).

    Nested use joins the outer unit: only the outermost one commits.
    """
    session = db.session
    outer = session.info.get("uow")
    if outer is not None:
        yield outer
        return
    uow = UnitOfWork(actor)
    session.info["uow"] = uow
    # Reading the actor's id must not flush the caller's pending changes before the actor is
    # known to the audit trail.
    with session.no_autoflush:
        session.info["actor_id"] = user_id(actor)
    try:
        yield uow
        if uow._before_commit:
            session.flush()
            for fn in uow._before_commit:
                fn()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop("uow", None)
        session.info.pop("actor_id", None)
    for fn in uow._after_commit:
        fn()


def each_record(actor, items, fn) -> None:
    """A list action on several records, each in a unit of work of its own: `fn(actor, record_id)` for every
    item; the ones refused are said together (the first refusal alone when all were refused), the others stay
    done."""
    from app.core.errors import DomainError

    failed = []
    for item in items:
        try:
            fn(actor, item.id)
        except DomainError as error:
            db.session.rollback()
            failed.append(error)
    if failed:
        raise failed[0] if len(failed) == len(items) else DomainError(
            failed[0].code, "; ".join(e.message for e in failed))
