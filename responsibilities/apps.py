from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponsibilitiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "responsibilities"
    verbose_name = _("Tasks and responsibilities")
