"""How one approval action runs: the compare-and-set frame every engine action goes through,
the definition an instance runs on, and the action's own reads and writes (its round's tasks,
new tasks, timeline rows), kept to as few statements as the action needs.

Every action runs in one unit of work and is a compare-and-set on the instance: it reads
`lock_version`, and its first write is `UPDATE wf_instance SET lock_version = v + 1, ... WHERE
lock_version = v` (carrying whatever else the action changes on the instance by then). When
another action on the same instance committed in between, that update matches no row, the
whole action rolls back and runs again on fresh state.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import JSON, and_, bindparam, case, event, exists, func, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, defer, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound
from app.core.org import user_id as id_of
from app.core.transaction import unit_of_work
from app.extensions import db
from app.workflow.definitions import parse_definition
from app.workflow.models import ApprovalAction, ApprovalInstance, ApprovalTask, WorkflowDefinition, WorkflowVersion

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


# -- definitions of running instances ----------------------------------------------------------
@lru_cache(maxsize=256)
def _parsed(digest: str, source: str):
    return parse_definition(source, filename=f"<version {digest[:8]}>")


_by_version: dict[int, object] = {}


def definition_of(instance: ApprovalInstance):
    """The definition an instance runs on: always the version it started with. Versions never
    change once published, so each is parsed once per process."""
    definition = _by_version.get(instance.version_id)
    if definition is None:
        version = db.session.get(WorkflowVersion, instance.version_id)
        definition = _by_version[instance.version_id] = _parsed(version.digest, version.source)
    return definition


def active_definition(name: str):
    """(version, definition) new submissions of chain `name` use; (None, None) when unpublished.
    One query; the version's text is read and parsed once per process."""
    version = db.session.scalar(
        select(WorkflowVersion).join(WorkflowDefinition, WorkflowDefinition.active_version_id == WorkflowVersion.id)
        .where(WorkflowDefinition.name == name).options(defer(WorkflowVersion.source)))
    if version is None:
        return None, None
    definition = _by_version.get(version.id)
    if definition is None:
        definition = _by_version[version.id] = _parsed(version.digest, version.source)
    return version, definition


def active_version_column(name: str):
    """The id of chain `name`'s active version, as a column a submission reads together with its
    document (no statement of its own)."""
    return (select(WorkflowDefinition.active_version_id).where(WorkflowDefinition.name == name)
            .scalar_subquery().label("wf_active_version"))


def definition_of_version(version_id: int | None):
    """The definition of a published version (None for none), parsed once per process."""
    if version_id is None:
        return None
    definition = _by_version.get(version_id)
    if definition is None:
        version = db.session.get(WorkflowVersion, version_id)
        definition = _by_version[version_id] = _parsed(version.digest, version.source)
    return definition


# -- the compare-and-set frame -------------------------------------------------------------------
def _run(actor, instance_id: int, fn, *args, **kwargs):
    """Run fn(uow, instance, *args) as one compare-and-set action on the instance, retrying on
    conflict. Raises DomainError from fn unchanged (nothing written)."""
    return _attempts(actor, lambda: db.session.get(ApprovalInstance, instance_id, populate_existing=True),
                     instance_id, fn, args, kwargs)


@lru_cache(maxsize=None)
def _instance_with_round_of_task():
    """The instance of task :task_id with the tasks of its current round (built once)."""
    return (select(ApprovalInstance, ApprovalTask)
            .outerjoin(ApprovalTask, and_(ApprovalTask.instance_id == ApprovalInstance.id,
                                          ApprovalTask.round == ApprovalInstance.round))
            .where(ApprovalInstance.id == select(ApprovalTask.instance_id)
                   .where(ApprovalTask.id == bindparam("task_id")).scalar_subquery())
            .order_by(ApprovalTask.seq, ApprovalTask.id)
            .options(defer(ApprovalInstance.context))   # read only when a condition asks for the submitter
            .execution_options(populate_existing=True))


def _run_on_task(actor, task_id: int, fn, *args):
    """_run for an action on a task: the task's instance and the tasks of its current round are
    read in one statement."""
    def load():
        rows = db.session.execute(_instance_with_round_of_task(), {"task_id": task_id}).all()
        if not rows:
            raise NotFound("workflow.no_task", _("This approval task does not exist."))
        instance = rows[0][0]
        db.session.info[ROUND_READ] = (instance.id, instance.round, [t for _i, t in rows if t is not None])
        return instance
    return _attempts(actor, load, f"of task {task_id}", fn, args, {})


def _attempts(actor, load, instance_id, fn, args, kwargs):
    for attempt in range(MAX_ATTEMPTS):
        try:
            with unit_of_work(actor) as uow:
                instance = load()
                if instance is None:
                    raise NotFound("workflow.no_instance", _("This approval does not exist."))
                _claim(instance)
                result = fn(uow, instance, *args, **kwargs)
                _write_claim(db.session)   # an action that wrote nothing yet still claims
                db.session.flush()
                _write_actions()
            return result
        except StaleDataError:   # another action changed the instance first
            log.info("approval %s changed meanwhile; running the action again (attempt %s)", instance_id, attempt + 2)
            continue
        except OperationalError as exc:
            # SQLite refuses a write whose read snapshot is stale, PostgreSQL may end one of two
            # actions waiting on each other's rows: the same conflict, said differently.
            reason = str(exc).lower()
            if not any(word in reason for word in ("locked", "busy", "deadlock")):
                raise
            log.info("approval %s: database busy; running the action again (attempt %s)", instance_id, attempt + 2)
            continue
        finally:
            db.session.info.pop("wf_engine", None)
            db.session.info.pop(ROUND_READ, None)
            db.session.info.pop(CLAIM, None)
            db.session.info.pop(ACTIONS, None)
    raise DomainError("workflow.busy", _("Too many people are acting on this approval at once; please try again."))


CLAIM = "wf_claim"   # session.info: the instance this action has yet to claim


def _claim(instance: ApprovalInstance) -> None:
    """Claim the instance read in this attempt: the action's first flush (see _write_claim)
    updates it `WHERE lock_version = <as read>` to the next number, together with the
    instance's other changes pending then; a conflict shows as StaleDataError."""
    db.session.info[CLAIM] = instance


@event.listens_for(Session, "before_flush")
def _write_claim(session, _context=None, _instances=None) -> None:
    instance = session.info.pop(CLAIM, None)
    if instance is not None:
        # Version column of the mapper: this UPDATE says WHERE lock_version = <as read>.
        instance.lock_version = instance.lock_version + 1
    if session.dirty:
        _write_changed_rows(session)


@lru_cache(maxsize=None)
def _columns_of(model) -> frozenset:
    return frozenset(c.key for c in model.__table__.columns)


@lru_cache(maxsize=256)
def _update_statement(model, keys: tuple, versioned: bool):
    """UPDATE <model> SET <keys> WHERE id = :w_id [AND lock_version = :w_version], built once."""
    table = model.__table__
    where = table.c.id == bindparam("w_id")
    if versioned:
        where = and_(where, table.c.lock_version == bindparam("w_version"))
    return table.update().where(where).values({key: bindparam(key) for key in keys})


def _write_changed_rows(session) -> None:
    """Write the changed instance and tasks of an action as plain UPDATEs and mark them clean:
    the instance's with its compare-and-set (StaleDataError when another action changed it
    first), the tasks in one statement for all of them (each row with every column any of them
    changed: their values as read in this action). On PostgreSQL the instance's and the tasks'
    updates, with the timeline rows recorded so far, are one statement. Rows whose changes are
    known column by column need none of the unit of work's general flush; anything else (new
    rows, relations) is left to it."""
    writes = _plain_writes(session)
    if writes is None:
        return
    connection = session.connection()
    params = shape = None
    if len(writes.claims) == 1 and len(writes.rows) <= 20 and connection.dialect.name == "postgresql":
        params, shape = _combined_params(session, writes, [])
    if params is not None:
        (claimed,) = connection.exec_driver_sql(_combined_sql(connection.dialect, *shape), params).one()
        if not claimed:
            raise StaleDataError(f"approval {writes.claims[0][0].id} was changed meanwhile")
        writes.commit(session)
        return
    for instance, state, keys, values in writes.claims:
        if connection.execute(_update_statement(ApprovalInstance, keys, True), values).rowcount != 1:
            raise StaleDataError(f"approval {instance.id} was changed meanwhile")
    if writes.rows:
        connection.execute(_update_statement(ApprovalTask, writes.task_keys, False), _one_or_many(writes.rows))
    writes.commit(session)


class _Writes:
    """The plain changes of an action's loaded instance and tasks, ready to be written."""

    def __init__(self, claims, changed, task_keys, rows):
        self.claims, self.changed, self.task_keys, self.rows = claims, changed, task_keys, rows

    def commit(self, session) -> None:
        """The rows are written: their values as they are now are the committed ones."""
        for _instance, state, _keys, _values in self.claims:
            state._commit_all(state.dict, session.identity_map)
        for state in self.changed:
            state._commit_all(state.dict, session.identity_map)


def _plain_writes(session) -> _Writes | None:
    instances, tasks = [], []
    for obj in session.dirty:
        if isinstance(obj, ApprovalTask):
            tasks.append(obj)
        elif isinstance(obj, ApprovalInstance):
            instances.append(obj)
    if not instances and not tasks:
        return None
    claims = []
    for instance in instances:
        state = sa_inspect(instance)
        keys = _plain_changes(session, state, ApprovalInstance)
        if keys is None:
            continue
        values = {key: state.dict.get(key) for key in keys}
        before = state.committed_state.get("lock_version", instance.lock_version)
        values.update(w_id=instance.id, w_version=before if isinstance(before, int) else instance.lock_version)
        claims.append((instance, state, keys, values))
    changed, task_keys = [], set()
    for task in tasks:
        state = sa_inspect(task)
        keys = _plain_changes(session, state, ApprovalTask)
        if keys is not None:
            changed.append(state)
            task_keys.update(keys)
    task_keys = tuple(sorted(task_keys))
    rows = [{**{key: state.dict.get(key) for key in task_keys}, "w_id": state.dict["id"]} for state in changed]
    if not claims and not rows:
        return None
    return _Writes(claims, changed, task_keys, rows)


@lru_cache(maxsize=None)
def _driver_adapts(model, keys: tuple) -> bool:
    """Whether the driver takes these columns' values as they are (no JSON to serialise)."""
    return not any(isinstance(model.__table__.c[key].type, JSON) for key in keys)


def _combined_params(session, writes: _Writes, new_rows: list[dict]):
    """Parameters and shape of _combined_sql for the one claim and the task rows of `writes`,
    the new tasks `new_rows` and the timeline rows recorded so far (taken when every row's
    instance and task already has its id); None when a column needs the ORM's conversion."""
    instance, _state, keys, values = writes.claims[0]
    if not (_driver_adapts(ApprovalInstance, keys) and _driver_adapts(ApprovalTask, writes.task_keys)):
        return None, None
    params = {f"i_{key}": value for key, value in values.items() if key not in ("w_id", "w_version")}
    params.update(w_id=values["w_id"], w_version=values["w_version"])
    for i, row in enumerate(writes.rows):
        params.update({f"{key}_{i}": value for key, value in row.items()})
    new_keys = written_keys(ApprovalTask.__table__, new_rows)
    params.update(values_params("t", new_rows, new_keys))
    action_keys, actions = (), 0
    pending = session.info.get(ACTIONS)
    if pending and all(row["instance"].id is not None and (row["task"] is None or row["task"].id is not None)
                       for row in pending):
        action_rows = _action_rows(pending)
        action_keys = written_keys(ApprovalAction.__table__, action_rows)
        params.update(values_params("a", action_rows, action_keys))
        actions = len(action_rows)
        session.info.pop(ACTIONS, None)
    shape = (keys, writes.task_keys, len(writes.rows), new_keys, len(new_rows), action_keys, actions)
    return params, shape


@lru_cache(maxsize=256)
def _combined_sql(dialect, keys: tuple, task_keys: tuple, count: int, new_keys: tuple, new: int,
                  action_keys: tuple, actions: int) -> str:
    """PostgreSQL, one statement compiled once per shape: the instance's compare-and-set
    (`i_<key>`, `w_id`, `w_version`) as a CTE taken first; the update of `count` loaded tasks
    (`<key>_<i>`, `w_id_<i>`), which waits for the claim (a filter on it), so the instance's row
    is always locked first, and touches no task when the claim matched no row; `actions`
    timeline rows (`a_<key>_<i>`); and `new` new tasks (`t_<key>_<i>`). It returns, per new
    task, its id, assignee and place, and whether the claim matched (with no new task: that
    alone). When the claim matched no row the caller raises StaleDataError and the action's
    transaction, with whatever this statement inserted, is rolled back. Its columns are plain
    ones the driver adapts itself."""
    instances = ApprovalInstance.__table__
    claimed = (instances.update()
               .where(instances.c.id == bindparam("w_id"), instances.c.lock_version == bindparam("w_version"))
               .values({key: bindparam(f"i_{key}", type_=instances.c[key].type) for key in keys})
               .returning(instances.c.id).cte("claimed"))
    table = ApprovalTask.__table__
    ctes = []
    if count:
        ids = [bindparam(f"w_id_{i}", type_=table.c.id.type) for i in range(count)]
        values = {}
        for key in task_keys:
            column = table.c[key]
            if count == 1:
                values[key] = bindparam(f"{key}_0", type_=column.type)
            else:
                values[key] = case(*[(table.c.id == ids[i], bindparam(f"{key}_{i}", type_=column.type))
                                     for i in range(count)], else_=column)
        ctes.append(table.update().where(table.c.id.in_(ids), exists(select(claimed.c.id)))
                    .values(values).returning(table.c.id).cte("changed_tasks"))
    if actions:
        ctes.append(multi_insert(ApprovalAction.__table__, "a", action_keys, actions).cte("new_actions"))
    matched = select(func.count()).select_from(claimed).scalar_subquery()
    if new:
        stmt = multi_insert(table, "t", new_keys, new).returning(table.c.id, table.c.assignee_id, table.c.seq,
                                                                 matched.label("claimed"))
    else:
        stmt = select(matched.label("claimed"))
    for cte in [claimed, *ctes]:
        stmt = stmt.add_cte(cte)
    return str(stmt.compile(dialect=dialect))


def _plain_changes(session, state, model) -> tuple | None:
    """The columns changed on a loaded row, or None when the row is for the flush to write
    (new, deleted, unchanged, or a relation changed)."""
    keys = tuple(sorted(state.committed_state))
    if not keys or state.key is None or state.deleted or state.obj() in session.deleted:
        return None
    if not _columns_of(model).issuperset(keys) or any(key not in state.dict for key in keys):
        return None
    return keys


# session.info: the timeline rows of the running action, written in one INSERT before it
# commits (and before anything in the action reads the timeline).
ACTIONS = "wf_actions"


def _record(instance, action: str, *, actor=None, task=None, step_id=None, comment=None, reason=None,
            target=None, on_behalf_of=None) -> None:
    """Add a row to the instance's approval timeline (written by _write_actions); `target`: a user
    or a user id."""
    row = {"instance": instance, "task": task,
           "step_id": step_id or (task.step_id if task is not None else instance.current_step),
           "action": action, "actor_id": id_of(actor),
           "on_behalf_of_id": on_behalf_of.id if on_behalf_of is not None else (
               task.on_behalf_of_id if task is not None and actor is not None
               and task.assignee_id == id_of(actor) else None),
           "target_id": target if isinstance(target, int) or target is None else target.id,
           "comment": comment or None, "reason": reason, "at": utcnow()}
    db.session.info.setdefault(ACTIONS, []).append(row)


@lru_cache(maxsize=None)
def _insert_action_rows():
    return insert(ApprovalAction.__table__)


def _write_actions() -> None:
    rows = db.session.info.pop(ACTIONS, None)
    if not rows:
        return
    db.session.flush()   # the instance and tasks the rows name have their ids
    db.session.connection().execute(_insert_action_rows(), _one_or_many(_action_rows(rows)))


def _action_rows(rows: list[dict]) -> list[dict]:
    return [{**{k: v for k, v in row.items() if k not in ("instance", "task")},
             "instance_id": row["instance"].id, "task_id": row["task"].id if row["task"] is not None else None}
            for row in rows]


def _one_or_many(rows: list[dict]):
    """One row's parameters as a plain execution (cheaper for the driver than a batch of one)."""
    return rows[0] if len(rows) == 1 else rows


# -- the action's tasks ----------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _insert_task_rows():
    table = ApprovalTask.__table__
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


def _insert_tasks(tasks: list[ApprovalTask]) -> None:
    """Write new tasks (built by _new_task) in one INSERT ... RETURNING id, after the action's
    pending changes (so the instance's claim stays its first write), and make them persistent
    objects of the session as they are, with nothing to load or flush. On PostgreSQL the
    timeline rows recorded so far go in the same statement (a CTE), and so do the instance's
    claim and its loaded tasks' changes when nothing else is pending (an approve that opens the
    next step: one statement)."""
    if not tasks:
        return
    session = db.session
    connection = session.connection()
    postgresql = len(tasks) <= 50 and connection.dialect.name == "postgresql"   # (a step of a whole role: a batch)
    writes = _claim_with_plain_writes(session) if postgresql else None
    if writes is None:
        session.flush()
    table = ApprovalTask.__table__
    rows = [{c.key: (task.wf_instance.id if c.key == "instance_id" else getattr(task, c.key))
             for c in table.columns if c.key != "id"} for task in tasks]
    if postgresql:
        params = None
        if writes is not None:
            params, shape = _combined_params(session, writes, rows)
            if params is None:
                session.flush()
            else:
                written = connection.exec_driver_sql(_combined_sql(connection.dialect, *shape), params).all()
                if not written[0][3]:
                    raise StaleDataError(f"approval {writes.claims[0][0].id} was changed meanwhile")
                writes.commit(session)
        if params is None:
            keys = written_keys(table, rows)
            params = values_params("t", rows, keys)
            action_keys, actions = (), 0
            pending = session.info.get(ACTIONS)
            if pending and all(row["task"] is None or row["task"].id is not None for row in pending):
                action_rows = _action_rows(pending)
                action_keys = written_keys(ApprovalAction.__table__, action_rows)
                params.update(values_params("a", action_rows, action_keys))
                actions = len(action_rows)
                session.info.pop(ACTIONS, None)
            sql = _insert_tasks_and_actions(connection.dialect, keys, len(rows), action_keys, actions)
            written = connection.exec_driver_sql(sql, params).all()
        # Rows come back in the order of VALUES; matched by assignee and place all the same.
        by_person = {(row[1], row[2]): row[0] for row in written}
        ids = [row[0] for row in written]
        if len(by_person) == len(rows):
            ids = [by_person[(row["assignee_id"], row["seq"])] for row in rows]
    else:
        ids = connection.execute(_insert_task_rows(), rows).scalars().all()
    for task, task_id, row in zip(tasks, ids, rows):
        del task.wf_instance
        task.id, task.instance_id = task_id, row["instance_id"]
        make_transient_to_detached(task)
        session.add(task)


def _claim_with_plain_writes(session) -> _Writes | None:
    """The action's claim, still to be written, and its loaded instance's and tasks' changes,
    when they are all the session has pending (then the caller writes them; else None and the
    flush does)."""
    instance = session.info.get(CLAIM)
    if instance is None or instance.id is None or session.new or session.deleted:
        return None
    dirty = session.dirty
    if any(not isinstance(obj, (ApprovalInstance, ApprovalTask)) for obj in dirty):
        return None
    session.info.pop(CLAIM)
    instance.lock_version = instance.lock_version + 1   # as _write_claim: WHERE lock_version = <as read>
    writes = _plain_writes(session)
    if (writes is None or len(writes.claims) != 1 or writes.claims[0][0] is not instance or len(writes.rows) > 20
            or len(writes.changed) + 1 != len(session.dirty)):
        return None   # the flush writes them (the claim included: the instance is dirty)
    return writes


def values_params(prefix: str, rows: list[dict], keys: tuple) -> dict:
    """The parameters of multi_insert(table, prefix, keys, len(rows)) for `rows`."""
    return {f"{prefix}_{key}_{i}": row[key] for i, row in enumerate(rows) for key in keys}


def written_keys(table, rows: list[dict]) -> tuple:
    """The columns of `rows` an INSERT names: those with a value in some row (a column empty in
    every row and without a default is left to be NULL). Fewer parameters keep the statement
    short enough for the driver to reuse its parsing of it (at most 50)."""
    if not rows:
        return ()
    return tuple(key for key in rows[0] if any(row[key] is not None for row in rows)
                 or table.c[key].default is not None or table.c[key].server_default is not None)


def multi_insert(table, prefix: str, keys: tuple, count: int):
    """INSERT INTO table (keys) VALUES (...) x count, with parameters `<prefix>_<key>_<i>`."""
    return insert(table).values([{key: bindparam(f"{prefix}_{key}_{i}", type_=table.c[key].type) for key in keys}
                                 for i in range(count)])


@lru_cache(maxsize=256)
def _insert_tasks_and_actions(dialect, keys: tuple, count: int, action_keys: tuple, actions: int) -> str:
    """PostgreSQL: `count` tasks (RETURNING id, assignee and place) and, as a CTE, `actions`
    timeline rows, in one statement, compiled once per shape (SQLAlchemy compiles a multi-row
    INSERT anew each time it runs one). Its columns are plain ones the driver adapts itself."""
    table = ApprovalTask.__table__
    stmt = multi_insert(table, "t", keys, count).returning(table.c.id, table.c.assignee_id, table.c.seq)
    if actions:
        stmt = stmt.add_cte(multi_insert(ApprovalAction.__table__, "a", action_keys, actions).cte("new_actions"))
    return str(stmt.compile(dialect=dialect))


# session.info: the tasks of the instance's current round as read in this action (with the
# instance, or by _round_tasks); forgotten whenever the round gains a task and when the action ends.
ROUND_READ = "wf_round_read"


def _round_tasks(instance) -> list[ApprovalTask]:
    _ensure_id(instance)
    read = db.session.info.get(ROUND_READ)
    if read is not None and read[:2] == (instance.id, instance.round):
        return read[2]
    tasks = list(db.session.scalars(
        select(ApprovalTask).where(ApprovalTask.instance_id == instance.id, ApprovalTask.round == instance.round)
        .order_by(ApprovalTask.seq, ApprovalTask.id).execution_options(populate_existing=True)))
    db.session.info[ROUND_READ] = (instance.id, instance.round, tasks)
    return tasks


def _ensure_id(instance) -> None:
    """A new instance is written with its first step (one INSERT); anything that needs its id
    before then writes it now."""
    if instance.id is None:
        db.session.flush()
