"""The commune's état des besoins validé, as a PDF (campaigns/needs_pdf.py)."""

from groupement.campaigns.needs_pdf import needs_pdf_file
from groupement.campaigns.web.needs import bp
from groupement.core.access import COMMUNE_ROLES
from groupement.core.transaction import writes_on_get
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import file_response


@bp.route("/etat-valide.pdf")
@roles_required(*COMMUNE_ROLES)
@writes_on_get
def validated_pdf(campaign_id: int):
    actor = current_actor()
    content, file_name = needs_pdf_file(actor, campaign_id, actor.organisation_id)
    return file_response(content, file_name, "application/pdf")
