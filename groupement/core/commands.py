"""What every command of the `groupement` CLI shares."""

from __future__ import annotations

import click


class FrenchError(click.ClickException):
    """Printed as 'Erreur : …' on stderr, exit code 1."""

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(f"Erreur : {self.format_message()}", err=True, file=file)
