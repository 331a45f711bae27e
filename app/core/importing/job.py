"""The background import: a large file is checked and imported by an RQ worker, reporting its
progress in the upload's state."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

from app.core.importing import state as states
from app.core.importing.files import ImportFileError
from app.core.importing.run import estimate_rows, run_import
from app.core.jobs import enqueue_after_commit, in_app_context
from app.core.transaction import unit_of_work
from app.extensions import db


def start_background_import(actor, state: dict) -> dict:
    """Hand a large file to the job queue (after the commit, by token: jobs carry ids)."""
    state.update(status="queued", message="", rows=estimate_rows(states.upload_path(state), state["fmt"]))
    states.save_state(state)
    with unit_of_work(actor) as uow:
        enqueue_after_commit(uow, import_job, state["token"], job_timeout=3600)
    return state


@in_app_context
def import_job(token: str) -> str:
    """Check and import an uploaded file as the user who uploaded it (their data scope and
    owners they may assign). Runs once per upload: a repeated or late run does nothing."""
    from app.core.org import User
    from app.core.registry import registry

    state = states.load_state(token)
    if state is None or state["status"] not in ("queued", "uploaded") or not states.claim_commit(state):
        return "skipped"
    actor = db.session.get(User, state["user_id"])
    spec = registry.specs.get(state.get("module", ""))
    if actor is None or not actor.active or spec is None or spec.importing is None:
        state.update(status="failed", message="inactive user" if spec is not None else "")
        states.save_state(state)
        return "failed"
    state.update(status="running")
    states.save_state(state)

    def progress(done: int) -> None:
        state["processed"] = done
        states.save_state(state)

    try:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            result = run_import(spec, actor, states.upload_path(state), state["fmt"], commit=True, progress=progress)
    except ImportFileError as error:
        state.update(status="failed", message=error.message)
        states.save_state(state)
        return "failed"
    except Exception:
        state.update(status="failed", message="")
        states.save_state(state)
        raise
    finally:
        states.drop_upload(states.upload_dir(), f"{state['token']}.{state['fmt']}")
    state.update(result.as_dict())
    state.update(status="done" if result.committed else "rejected", processed=result.rows)
    states.save_state(state)
    return state["status"]
