"""The `groupement` command: Flask's own (run, db, routes, shell) plus the product's."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from groupement.core.errors import ImportRejected
from groupement.core.formatting import os_reason
from groupement.core.transaction import transactional


class FrenchError(click.ClickException):
    """Printed as 'Erreur : …' on stderr, exit code 1."""

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(f"Erreur : {self.format_message()}", err=True, file=file)


def _create_app() -> Flask:
    from groupement import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    help="groupement : application des groupements de commandes publiques.",
)


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(catalog_group)
    app.cli.add_command(campaign_group)
    app.cli.add_command(decp_group)
    app.cli.add_command(invoice_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("demo", help="Charge les données de démonstration (idempotent) et affiche les comptes.")
@with_appcontext
@transactional
def demo_command() -> None:
    from groupement.demo.dataset import DEMO_PASSWORD, load_demo

    logins = load_demo()
    click.echo(f"Données de démonstration chargées. Comptes (mot de passe commun : {DEMO_PASSWORD}) :")
    for login in logins:
        click.echo(f"  {login.role.label:<26} {login.email:<48} {login.organisation}")


# --- backup and restore of the whole database ----------------------------------------------


@click.command(
    "backup",
    help="Sauvegarde toute la base dans FILE (SQLite : copie en ligne ; PostgreSQL : pg_dump au format personnalisé).",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    from groupement.core.backup import backup_database
    from groupement.core.errors import ServiceError
    from groupement.core.formatting import number

    try:
        report = backup_database(file)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    click.echo(f"Base {report.engine} sauvegardée dans {report.path} ({number(report.size)} octets).")


@click.command(
    "restore",
    help="Remplace TOUTES les données de la base par celles de la sauvegarde FILE (faite par `groupement backup`).",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", "confirmed", is_flag=True, help="Ne pas demander de confirmation.")
@with_appcontext
def restore_command(file: Path, confirmed: bool) -> None:
    from groupement.core.backup import restore_database
    from groupement.core.errors import ServiceError

    if not confirmed and not click.confirm(f"Toutes les données actuelles seront remplacées par {file}. Continuer ?"):
        raise FrenchError("restauration abandonnée : rien n'a été modifié.")
    try:
        engine = restore_database(file)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    click.echo(f"Base {engine} restaurée depuis {file}.")


# --- invoices: amounts in JSON are decimal strings with two decimals (never floats) ------------


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
@with_appcontext
@transactional
def invoice_import(file: Path, as_json: bool) -> None:
    from groupement.core.errors import ServiceError
    from groupement.core.formatting import euros, percent
    from groupement.invoices.pages import vat_by_rate
    from groupement.invoices.service import InvoiceRejected, import_invoice

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
        invoice = import_invoice(None, file.name, content)
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
                "supplier": invoice.seller_name,
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
        f"{invoice.kind.label.capitalize()} n° {invoice.number} de {invoice.seller_name} importée "
        f"(identifiant {invoice.id}, {len(invoice.lines)} ligne(s), format {invoice.source_format})."
    )
    click.echo(f"  Total HT  : {euros(invoice.total_ht)}")
    for rate, amount in sorted(vat.items()):
        click.echo(f"  TVA {percent(rate)} : {euros(amount)}")
    click.echo(f"  Total TVA : {euros(invoice.total_vat)}")
    click.echo(f"  Total TTC : {euros(invoice.total_ttc)}")
    failed = sum(1 for c in checks if not c["ok"])
    click.echo(f"Contrôles : {len(checks) - failed} satisfait(s), {failed} à examiner.")
    for check in checks:
        click.echo(f"  [{'ok' if check['ok'] else 'à examiner'}] {check['rule']} : {check['message']}")


@invoice_group.command(
    "split",
    help="Répartit une facture entre les communes, au centime : les lignes rattachées à une commande vont à "
    "sa commune, les autres sont partagées par la clé entre les communes de --communes (toutes les communes "
    "membres sinon). Affiche le HT, la TVA par taux et le TTC de chaque commune.",
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
@with_appcontext
@transactional
def invoice_split(invoice_id: int, key: str, communes: str | None, as_json: bool) -> None:
    from groupement.core.errors import ServiceError
    from groupement.core.formatting import euros, percent
    from groupement.invoices.allocation import AllocationKey
    from groupement.invoices.service import split_invoice

    codes = None
    if communes is not None:
        codes = [code.strip() for code in communes.split(",") if code.strip()]
    try:
        result = split_invoice(None, invoice_id, AllocationKey(key), codes, None)
    except ServiceError as error:
        if as_json:
            _json_out({"error": str(error), "reasons": []})
            raise click.exceptions.Exit(1) from error
        raise FrenchError(str(error)) from error
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


@click.group("catalog", help="Catalogue des articles.")
def catalog_group() -> None:
    pass


@catalog_group.command("import", help="Importe (ou met à jour par référence) des fichiers CSV de catalogue.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@transactional
def catalog_import(files: tuple[Path, ...]) -> None:
    from groupement.catalog.items import import_catalog

    contents = []
    for path in files:
        try:
            contents.append((path.name, path.read_bytes()))
        except OSError as error:
            raise FrenchError(f"impossible de lire {path} ({os_reason(error)}).") from error
    try:
        report = import_catalog(contents, actor_id=None)
    except ImportRejected as rejected:
        for issue in rejected.issues:
            click.echo(f"  {issue}", err=True)
        raise FrenchError(str(rejected)) from rejected
    click.echo(
        f"Catalogue importé : {report.created} créé(s), {report.updated} mis à jour, {report.unchanged} inchangé(s)."
    )


@click.group("campaign", help="Campagnes de recensement des besoins (commandes pour cron).")
def campaign_group() -> None:
    pass


@campaign_group.command("remind", help="Relance par courriel les communes dont les besoins ne sont pas validés.")
@click.argument("campaign_id", type=int)
@with_appcontext
@transactional
def campaign_remind(campaign_id: int) -> None:
    from groupement.campaigns.reminders import remind_late_communes
    from groupement.core.errors import ServiceError

    try:
        report = remind_late_communes(None, campaign_id)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    if not report.communes:
        click.echo("Aucune commune à relancer : tous les besoins sont validés.")
        return
    click.echo(
        f"Relance de la campagne n° {campaign_id} : {len(report.communes)} commune(s) en retard, "
        f"{report.messages_sent} courriel(s) envoyé(s)."
    )
    for name in report.communes:
        note = " (aucun destinataire actif : non relancée)" if name in report.communes_without_recipient else ""
        click.echo(f"  {name}{note}")


@campaign_group.command("close-expired", help="Clôture les campagnes ouvertes dont la date limite est passée.")
@with_appcontext
@transactional
def campaign_close_expired() -> None:
    from groupement.campaigns.needs import close_expired_campaigns

    closed = close_expired_campaigns()
    if not closed:
        click.echo("Aucune campagne à clôturer.")
        return
    click.echo(f"{len(closed)} campagne(s) clôturée(s) :")
    for campaign in closed:
        click.echo(f"  n° {campaign.id} « {campaign.title} »")


@campaign_group.command("aggregate", help="Agrège les besoins validés d'une campagne clôturée en lots.")
@click.argument("campaign_id", type=int)
@with_appcontext
@transactional
def campaign_aggregate(campaign_id: int) -> None:
    from groupement.core.errors import ServiceError
    from groupement.lots.service import aggregate_campaign

    try:
        report = aggregate_campaign(None, campaign_id)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    click.echo(
        f"Campagne n° {campaign_id} agrégée : {report.lots} lot(s), {report.lines} ligne(s), "
        f"{report.communes} commune(s), {report.shares} part(s) de commune."
    )


@campaign_group.command("export", help="Écrit les pièces du marché (DQE, BPU, récapitulatifs, annexes, zip).")
@click.argument("campaign_id", type=int)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier de destination (créé au besoin).",
)
@with_appcontext
@transactional
def campaign_export(campaign_id: int, out_dir: Path) -> None:
    from groupement.core.errors import ServiceError
    from groupement.tenders.exports import export_campaign

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = export_campaign(campaign_id, out_dir)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    except OSError as error:
        raise FrenchError(f"impossible d'écrire dans {out_dir} ({os_reason(error)}).") from error
    for path in paths:
        click.echo(str(path))


@click.group("decp", help="Données essentielles de la commande publique (DECP).")
def decp_group() -> None:
    pass


@decp_group.command(
    "export",
    help="Écrit les données essentielles des marchés notifiés à partir du seuil DECP (JSON, format 2.0.3). "
    "Les marchés incomplets sont listés sur la sortie d'erreur avec ce qui leur manque, sans être exportés ; "
    "code de sortie 0 dès que le fichier est écrit, 1 s'il ne peut pas l'être.",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier JSON à écrire (remplacé s'il existe).",
)
@click.option(
    "--date",
    "published_on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date de publication des données (AAAA-MM-JJ) ; aujourd'hui par défaut.",
)
@with_appcontext
@transactional
def decp_export(out_file: Path, published_on) -> None:
    import contextlib
    import os

    from groupement.contracts.decp import decp_json, decp_report
    from groupement.core.formatting import date_fr
    from groupement.core.timeutil import paris_today

    today = published_on.date() if published_on else paris_today()
    report = decp_report(today)
    # Written beside, then renamed: never a half-written file under the final name.
    temporary = out_file.with_name(f".{out_file.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(decp_json(report), encoding="utf-8")
        os.replace(temporary, out_file)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise FrenchError(f"impossible d'écrire {out_file} ({os_reason(error)}).") from error
    count = len(report.exported)
    click.echo(
        f"Données essentielles du {date_fr(today)} écrites dans {out_file} : "
        + (f"{count} marché(s)." if count else "aucun marché à publier.")
    )
    if report.problems:
        click.echo(f"Attention : {len(report.problems)} marché(s) non exporté(s), données manquantes :", err=True)
        for problem in report.problems:
            click.echo(f"  {problem.contract_number} ({problem.label}) :", err=True)
            for missing in problem.missing:
                click.echo(f"    - {missing}", err=True)
