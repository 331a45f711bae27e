"""Printing many records at once: one job renders each record's PDF, merges them into one file
in the file store and tells the user in the notification centre. Progress is kept on the RQ
job (meta done / total), which the batch page polls."""
from __future__ import annotations

import io

from flask_babel import gettext as _

from app.core.jobs import claim_once, in_app_context
from app.extensions import db

RESULT_TTL = 7 * 24 * 3600      # the batch page and its download link live a week


def batch_key(job_id: str) -> str:
    return f"print/batch-{job_id}.pdf"


def store_merged(job_id: str, data: bytes) -> str:
    """Keep the merged PDF in the file store; its key."""
    from app.core.files import store

    return store().put_bytes(data, key=batch_key(job_id), content_type="application/pdf")


def read_merged(key: str) -> bytes:
    from app.core.files import store

    return store().read(key)


@in_app_context
def print_batch(actor_id: int, module: str, document: str, template_id, ids: list[int]) -> dict:
    """Render `ids` of `module` with the template (none chosen: each record with its kind's
    default, say its invoice type's), skipping rows outside the actor's scope,
    merge them and announce the file. Running it again makes the same file and announces it
    once."""
    from pypdf import PdfReader, PdfWriter
    from rq import get_current_job

    from app.core import notify
    from app.core.errors import DomainError
    from app.core.org import User
    from app.core.printing import service
    from app.core.transaction import unit_of_work

    job = get_current_job()
    job_id = job.id if job is not None else "local"
    actor = db.session.get(User, actor_id)
    if actor is None or not actor.active:      # never print as "the system" for someone gone
        ids = []
    spec = service.spec_named(module)
    doc = service.document_of(spec, document)
    bodies = {}      # the text per kind of record (one, unless the document prints each kind its own way)
    writer = PdfWriter()
    printed, skipped, failed = 0, 0, []

    def progress(done):
        if job is not None:
            job.meta.update({"done": done, "total": len(ids), "printed": printed, "skipped": skipped})
            job.save_meta()

    progress(0)
    for n, pk in enumerate(ids, 1):
        try:
            item = service.visible_record(spec, actor, pk)
            kind = service.variant_of(doc, item) if not template_id else ""
            if kind not in bodies:
                bodies[kind] = service.template_for(spec, doc, template_id, item)[0]
            pdf = service.render_body(spec, doc, item, bodies[kind], actor)
        except DomainError as error:
            if error.code == "printing.no_record":
                skipped += 1
            else:
                failed.append(f"#{pk}: {error.message}")
        else:
            for page in PdfReader(io.BytesIO(pdf)).pages:
                writer.add_page(page)
            service.noted(doc, actor, item)
            printed += 1
        db.session.expunge_all()     # a thousand records need not stay in memory
        actor = db.session.get(User, actor_id)
        progress(n)
    out = io.BytesIO()
    writer.write(out)
    key = store_merged(job_id, out.getvalue()) if printed else ""
    result = {"key": key, "printed": printed, "skipped": skipped, "failed": failed[:20], "pages": len(writer.pages),
              "actor_id": actor_id}
    if job is not None:
        job.meta.update({"done": len(ids), "total": len(ids), "result": result})
        job.save_meta()
    if actor is None:
        return result
    with unit_of_work(actor) as uow:
        if claim_once(f"print-batch:{job_id}"):
            title = _("%(count)s %(document)s printed", count=printed, document=doc.label)
            text = _("One PDF of %(pages)s pages.", pages=result["pages"]) if printed else _("Nothing could be printed.")
            if skipped:
                text += " " + _("%(count)s records outside your data scope were left out.", count=skipped)
            if failed:
                text += " " + _("%(count)s records failed.", count=len(failed))
            notify.notify(uow, [actor], title, text, link=f"/printing/batches/{job_id}", mail=False)
    return result
