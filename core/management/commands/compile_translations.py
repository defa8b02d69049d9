from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


def project_locale_dirs() -> list[Path]:
    """The project-wide catalogue plus each project app's own `locale/`."""
    base = Path(settings.BASE_DIR)
    app_dirs = [
        Path(config.path) / "locale"
        for config in apps.get_app_configs()
        if Path(config.path).parent == base
    ]
    return [*(Path(p) for p in settings.LOCALE_PATHS), *app_dirs]


class Command(BaseCommand):
    help = (
        "Compile the project's .po catalogues to .mo without GNU gettext, so a fresh machine "
        "needs nothing but Python."
    )

    def handle(self, *args, **options):
        count = 0
        for locale_dir in project_locale_dirs():
            for po_path in locale_dir.glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                count += 1
        self.stdout.write(f"compiled {count} catalogue(s)")
