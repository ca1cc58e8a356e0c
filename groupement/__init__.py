"""groupement: the web application of a groupement de commandes publiques."""

from groupement.app import create_app

__all__ = ["create_app"]
