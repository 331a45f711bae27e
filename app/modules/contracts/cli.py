"""`run.py contracts verify FILE`: whether a PDF is one of our signed contracts, which signatures it carries
and whether anything changed after them. Exit 0 when it is ours and unchanged, 1 otherwise."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

contracts_group = AppGroup("contracts", help="Contracts: verify a signed PDF.")


@contracts_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_command(file: Path):
    """Verify the signatures of a contract PDF."""
    from flask_babel import gettext as _

    from app.core import signing as pdf_signing
    from app.core.printing.render import chinese_datetime
    from app.modules.contracts.signing import known_version

    result = pdf_signing.verify_pdf(file.read_bytes())
    click.echo(f"SHA-256: {result.sha256}")
    found, version = known_version(result.sha256)
    if found is not None:
        click.echo(_("This is contract %(code)s, %(version)s.", code=found.code, version=version))
    yes, no = _("Yes"), _("No")
    for number, sig in enumerate(result.signatures, start=1):
        when = chinese_datetime(sig.signed_at, "%Y-%m-%d %H:%M:%S") if sig.signed_at else ""
        click.echo(f"{number}. {sig.name} · {sig.reason} · {when}")
        click.echo(f"   {_('Intact')}: {yes if sig.intact and sig.valid else no}  {_('Ours')}: "
                   f"{yes if sig.ours else no}  {_('Unchanged after it')}: {yes if sig.covers_all else no}"
                   + (f"  ({sig.problem})" if sig.problem else ""))
    messages = {
        "ours": _("Signed by us, and nothing changed after the signatures."),
        "foreign": _("The signatures are intact, but they were not made with our certificate."),
        "changed": _("The document was changed after it was signed, or a signature is not valid."),
        "unsigned": _("The PDF carries no signature."),
        "not_pdf": result.problem,
    }
    click.echo(messages[result.verdict])
    raise SystemExit(0 if result.verdict == "ours" else 1)
