from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgunitsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orgunits"
    verbose_name = _("Units")
