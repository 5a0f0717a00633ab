"""A malformed setting in the environment is one clear line and an exit, not a traceback:
the operator who typed DJANGO_CONN_MAX_AGE=sixty needs the variable's name, nothing else."""

import sys


def exit_on_bad_settings() -> None:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading one setting reads them all
    except ImproperlyConfigured as error:
        sys.stderr.write(f"Configuration error: {error}\n")
        sys.exit(2)
