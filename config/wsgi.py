from django.core.wsgi import get_wsgi_application

from config.environment import use_settings

# The production settings unless told otherwise; never the development ones with
# DJANGO_ENV=production (config/environment.py).
use_settings(default="config.settings.production")

application = get_wsgi_application()
