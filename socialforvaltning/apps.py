from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """What every app uses; its one model is the integration token (models.py)."""

    name = "socialforvaltning"
    verbose_name = _("Integrations")
