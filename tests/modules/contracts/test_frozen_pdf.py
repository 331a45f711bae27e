"""Once approved, the contract's PDF is drawn from its template by a job (in a real worker) and kept among its
files with its SHA-256 on the contract — once: a second run keeps the first."""
import hashlib

from sqlalchemy import select

from app.core.files.models import Attachment
from app.core.files import store
from app.extensions import db
from app.modules.contracts import lifecycle
from app.modules.contracts.models import Contract
from app.workflow import engine
from tests.core.printing.helpers import pdf_text
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import publish_chain, step, task_of, user_rule


def _files(contract):
    db.session.expire_all()
    return list(db.session.scalars(select(Attachment).where(Attachment.spec == "contracts",
                                                            Attachment.record_id == contract.id)))


def test_the_approved_contracts_pdf_is_frozen_with_its_hash_by_a_worker(org, app, job_env):  # noqa: F811
    publish_chain([step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep, amount="88000.00")
    run = engine.submit(org.east_rep, "contracts", contract.id)
    engine.approve(org.finance_user, task_of(run, org.finance_user).id)
    run_worker_burst(job_env)

    [pdf] = _files(contract)
    frozen = db.session.get(Contract, contract.id).pdf_sha256
    data = store().read(pdf.sha256)
    assert frozen == pdf.sha256 == hashlib.sha256(data).hexdigest()
    assert pdf.file_name.endswith(".pdf") and contract.code in pdf_text(data).replace(" ", "")

    assert lifecycle.freeze_document(contract.id) == "nothing to do"     # once
    assert len(_files(contract)) == 1


def test_the_hash_shows_on_the_contract_for_its_readers(org, login):
    contract = make_contract(org.east_rep)
    with db.session.no_autoflush:
        db.session.get(Contract, contract.id).status = "approved"
    db.session.commit()
    digest = lifecycle.freeze_document(contract.id)
    html = login(org.east_rep).get(f"/contracts/show/{contract.id}").get_data(as_text=True)
    assert digest in html and len(digest) == 64
