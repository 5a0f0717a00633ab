#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialforvaltning.settings")
    from django.core.management import execute_from_command_line

    from socialforvaltning.settings_check import exit_on_bad_settings

    exit_on_bad_settings()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
