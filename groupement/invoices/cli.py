"""`groupement invoice …`: import and split supplier invoices from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from groupement.core.commands import FrenchError
from groupement.core.formatting import os_reason
from groupement.core.french import de
from groupement.core.transaction import transactional
from groupement.organisations.commands import acting_for, coordinator_option

# Amounts in JSON are decimal strings with two decimals (never floats).
JSON_HELP = "Un objet JSON pour les scripts (montants en chaînes, 2 décimales)."


def _amount(value) -> str:
    """'1234.50', '-12.00' for a credit note; never '-0.00'."""
    from decimal import Decimal

    return f"{Decimal(value) + Decimal(0):.2f}"


def _rates(amounts: dict) -> dict[str, str]:
    return {f"{rate:.2f}": _amount(amount) for rate, amount in sorted(amounts.items())}


def _json_out(document: dict) -> None:
    import json

    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@click.group("invoice", help="Factures des fournisseurs : import, répartition entre les communes.")
def invoice_group() -> None:
    pass


@invoice_group.command(
    "import",
    help="Importe une facture (Factur-X, UBL, CII, modèle tableur) et affiche ses totaux et ses contrôles. "
    "Un fichier refusé n'enregistre rien ; code de sortie 1 avec les motifs (objet {error, reasons} avec --json).",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@coordinator_option
@with_appcontext
@transactional
def invoice_import(file: Path, as_json: bool, coordinator: str | None) -> None:
    from groupement.core.errors import ServiceError
    from groupement.core.formatting import euros, percent
    from groupement.invoices.importing import InvoiceRejected, import_invoice
    from groupement.invoices.matching import blocking_checks
    from groupement.invoices.pages import vat_by_rate

    def refuse(message: str, reasons: list[str]):
        if as_json:
            _json_out({"error": message, "reasons": reasons})
            raise click.exceptions.Exit(1)
        for reason in reasons:
            click.echo(f"  {reason}", err=True)
        raise FrenchError(message)

    try:
        content = file.read_bytes()
    except OSError as error:
        refuse(f"impossible de lire {file} ({os_reason(error)}).", [])
    try:
        invoice = import_invoice(acting_for(coordinator), file.name, content)
    except InvoiceRejected as rejected:
        refuse(str(rejected), list(rejected.reasons))
    except ServiceError as error:
        refuse(str(error), [])
    vat = vat_by_rate(invoice)
    checks = [{"rule": c.rule, "ok": c.ok, "message": c.message} for c in invoice.checks]
    if as_json:
        _json_out(
            {
                "id": invoice.id,
                "type": invoice.kind.value,
                "number": invoice.number,
                "supplier": invoice.supplier_name,
                "currency": invoice.currency,
                "lines": len(invoice.lines),
                "total_ht": _amount(invoice.total_ht),
                "vat": _rates(vat),
                "total_vat": _amount(invoice.total_vat),
                "total_ttc": _amount(invoice.total_ttc),
                "checks": checks,
            }
        )
        return
    click.echo(
        f"{invoice.kind.label.capitalize()} n° {invoice.number} {de(invoice.supplier_name)} importée "
        f"(identifiant {invoice.id}, {len(invoice.lines)} ligne(s), format {invoice.source_format})."
    )
    click.echo(f"  Total HT  : {euros(invoice.total_ht)}")
    for rate, amount in sorted(vat.items()):
        click.echo(f"  TVA {percent(rate)} : {euros(amount)}")
    click.echo(f"  Total TVA : {euros(invoice.total_vat)}")
    click.echo(f"  Total TTC : {euros(invoice.total_ttc)}")
    blocking = {c.id for c in blocking_checks(invoice)}
    failed = sum(1 for c in checks if not c["ok"])
    click.echo(
        f"Contrôles : {len(checks) - failed} satisfait(s), {len(blocking)} anomalie(s) bloquant la répartition, "
        f"{failed - len(blocking)} pour information."
    )
    for check, stored in zip(checks, invoice.checks, strict=True):
        state = "ok" if check["ok"] else ("bloquant" if stored.id in blocking else "pour information")
        click.echo(f"  [{state}] {check['rule']} : {check['message']}")


@invoice_group.command(
    "match",
    help="Rapproche une facture des commandes et des prix du marché ; affiche ses anomalies (chacune bloque la "
    "répartition tant qu'elle n'est pas acceptée dans l'application).",
)
@click.argument("invoice_id", type=int)
@coordinator_option
@with_appcontext
@transactional
def invoice_match(invoice_id: int, coordinator: str | None) -> None:
    from groupement.core.errors import ServiceError
    from groupement.invoices.matching import match_invoice, split_blockers
    from groupement.invoices.scope import get_invoice

    actor = acting_for(coordinator)
    try:
        report = match_invoice(actor, invoice_id)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    click.echo(
        f"Facture {invoice_id} rapprochée : {report.matched} ligne(s) rattachée(s) à une commande, "
        f"{report.unmatched} sans commande, {report.mismatches} écart(s) avec le marché."
    )
    for reason in split_blockers(get_invoice(actor, invoice_id)):
        click.echo(f"  [bloquant] {reason}")


@invoice_group.command(
    "split",
    help="Répartit une facture rapprochée entre les communes, au centime : les lignes rattachées à une commande vont à "
    "sa commune, les autres sont partagées par la clé entre les communes de --communes (toutes les communes "
    "membres sinon). Affiche le HT, la TVA par taux et le TTC de chaque commune. Une facture dont une anomalie "
    "n'est pas acceptée n'est pas répartie : code de sortie 1 avec les motifs.",
)
@click.argument("invoice_id", type=int)
@click.option(
    "--key",
    "key",
    required=True,
    type=click.Choice(["amount", "quantity", "population", "equal"]),
    help="Clé de répartition : montant HT, quantités, population, parts égales.",
)
@click.option("--communes", default=None, help="Codes INSEE des communes qui partagent, séparés par des virgules.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@coordinator_option
@with_appcontext
@transactional
def invoice_split(invoice_id: int, key: str, communes: str | None, as_json: bool, coordinator: str | None) -> None:
    from groupement.core.errors import ServiceError
    from groupement.core.formatting import euros, percent
    from groupement.invoices.allocation import AllocationKey
    from groupement.invoices.splitting import SplitBlocked, split_invoice

    codes = None
    if communes is not None:
        codes = [code.strip() for code in communes.split(",") if code.strip()]
    try:
        result = split_invoice(acting_for(coordinator), invoice_id, AllocationKey(key), codes, None)
    except ServiceError as error:
        reasons = list(error.reasons) if isinstance(error, SplitBlocked) else []
        message = f"la facture {invoice_id} ne peut pas être répartie." if reasons else str(error)
        if as_json:
            _json_out({"error": message, "reasons": reasons})
            raise click.exceptions.Exit(1) from error
        for reason in reasons:
            click.echo(f"  {reason}", err=True)
        raise FrenchError(message) from error
    shares = [share for share in result.communes if share.ht or share.total_vat or (codes and share.insee in codes)]
    if as_json:
        _json_out(
            {
                "invoice_id": invoice_id,
                "key": result.key.value,
                "communes": [
                    {
                        "insee": share.insee,
                        "name": share.name,
                        "ht": _amount(share.ht),
                        "vat": _rates(share.vat),
                        "ttc": _amount(share.ttc),
                    }
                    for share in shares
                ],
                "total_ht": _amount(result.total_ht),
                "vat": _rates(result.vat),
                "total_vat": _amount(result.total_vat),
                "total_ttc": _amount(result.total_ttc),
            }
        )
        return
    click.echo(f"Facture {invoice_id} répartie {result.key.label} entre {len(shares)} commune(s) :")
    for share in shares:
        vat = ", ".join(f"TVA {percent(rate)} {euros(amount)}" for rate, amount in sorted(share.vat.items()))
        click.echo(f"  {share.insee} {share.name} : HT {euros(share.ht)} ; {vat} ; TTC {euros(share.ttc)}")
    click.echo(f"Total : HT {euros(result.total_ht)} ; TVA {euros(result.total_vat)} ; TTC {euros(result.total_ttc)}.")


@invoice_group.command(
    "import-batch",
    help="Importe un lot de factures (un dossier, ou une archive .zip téléchargée depuis Chorus Pro) par un travail "
    "de fond : une ligne par fichier dans le rapport (lue, doublon, refusée avec ses motifs). Un fichier refusé "
    "n'enregistre rien ; les factures lues sont enregistrées ensemble à la fin du travail. Sans --attendre, le "
    "travail est confié au processus de travaux (groupement worker).",
)
@click.argument("path", type=click.Path(exists=False, path_type=Path))
@click.option("--attendre", "wait", is_flag=True, help="Exécute le travail ici même et affiche le rapport.")
@coordinator_option
@with_appcontext
def invoice_import_batch(path: Path, wait: bool, coordinator: str | None) -> None:
    from flask import current_app

    from groupement.core.errors import ServiceError
    from groupement.core.transaction import unit_of_work
    from groupement.invoices.batch import BatchRefused, pack_folder

    try:
        if path.is_dir():
            content, left_out = pack_folder(path)
            name = f"{path.name or 'dossier'}.zip"
        else:
            content, left_out, name = path.read_bytes(), [], path.name
    except BatchRefused as refused:
        raise FrenchError("; ".join(refused.reasons)) from None
    except OSError as error:
        raise FrenchError(f"impossible de lire {path} ({os_reason(error)}).") from None
    from groupement.invoices.batch_job import start_batch

    try:
        with unit_of_work():
            started = start_batch(acting_for(coordinator), name, content, left_out)
            batch_id, job_id, files = started.batch.id, started.job.id, started.files
    except BatchRefused as refused:
        for reason in refused.reasons:
            click.echo(f"  {reason}", err=True)
        raise FrenchError(f"lot « {name} » refusé : rien n'a été enregistré.") from None
    except ServiceError as error:
        raise FrenchError(str(error)) from None
    click.echo(f"Lot n° {batch_id} ({files} fichier(s)) : travail n° {job_id} lancé.")
    if not wait:
        click.echo("Le processus de travaux (groupement worker) l'importe ; le rapport s'affiche sur la page du lot.")
        return
    from groupement.core.jobs_runner import run_pending_jobs

    run_pending_jobs(current_app._get_current_object())
    _print_batch_report(coordinator, batch_id, job_id)


def _print_batch_report(coordinator: str | None, batch_id: int, job_id: int) -> None:
    from groupement.core.jobs import JobState, visible_job
    from groupement.invoices.batch_job import get_batch
    from groupement.invoices.batch_report import ReportLine, counts

    actor = acting_for(coordinator)
    job = visible_job(actor, job_id)
    if job.state is not JobState.DONE:
        raise FrenchError(f"le travail n° {job_id} n'est pas terminé ({job.state.label}) : {job.error or ''}".strip())
    lines = [ReportLine.from_json(line) for line in get_batch(actor, batch_id).report or []]
    for line in lines:
        shown = f"n° {line.number} {de(line.supplier)}" if line.status == "read" else " ; ".join(line.reasons)
        click.echo(f"  [{line.label}] {line.file} : {shown}")
    total = counts(lines)
    click.echo(f"Rapport : {total['read']} lue(s), {total['duplicate']} doublon(s), {total['refused']} refusée(s).")


@invoice_group.command(
    "recheck-official",
    help="Passe les règles officielles EN 16931 sur les factures importées qui n'ont pas encore de contrôle "
    "officiel (importées avant ce contrôle) et enregistre le résultat ; une règle bloquante arrête la "
    "répartition d'une facture pas encore répartie.",
)
@click.option("--limit", type=click.IntRange(1, 100_000), default=None, help="Au plus ce nombre de factures.")
@coordinator_option
@with_appcontext
@transactional
def invoice_recheck_official(limit: int | None, coordinator: str | None) -> None:
    from groupement.invoices.einvoice.official_rules import INVALID, NOT_APPLICABLE, UNAVAILABLE, VALID
    from groupement.invoices.official_recheck import recheck_official

    report = recheck_official(acting_for(coordinator), limit)
    labels = {
        VALID: "conforme(s)",
        INVALID: "non conforme(s)",
        UNAVAILABLE: "non contrôlée(s) (fichier non conservé ou contrôle impossible)",
        NOT_APPLICABLE: "hors EN 16931 (modèle tableur, ZUGFeRD 1.0)",
    }
    click.echo(f"{report.checked} facture(s) contrôlée(s) selon les règles officielles EN 16931.")
    for outcome, count in sorted(report.by_outcome.items()):
        click.echo(f"  {count} {labels.get(outcome, outcome)}")
    if report.blocked:
        click.echo(f"  Répartition bloquée par une règle officielle : n° {', n° '.join(report.blocked[:20])}")
