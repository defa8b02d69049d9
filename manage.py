#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import sys


def main() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.environment import use_settings

    try:
        # The development settings, unless DJANGO_ENV=production (config/environment.py).
        use_settings(default="config.settings.local")
    except ImproperlyConfigured as refusal:
        sys.exit(f"manage.py: {refusal}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
