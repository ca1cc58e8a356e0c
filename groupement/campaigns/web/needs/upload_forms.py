"""Forms of the Excel round trip of the needs grid."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class NeedsUploadForm(FlaskForm):
    file = FileField(
        "Fichier Excel des besoins (.xlsx)",
        validators=[
            FileRequired("Choisissez le fichier Excel à importer."),
            FileAllowed(["xlsx"], "Seuls les classeurs Excel .xlsx sont acceptés (pas de .xls, .csv ni .ods)."),
        ],
    )


class UploadDecisionForm(FlaskForm):
    """CSRF only: confirm or cancel a checked upload."""
