import os

from django.core.wsgi import get_wsgi_application

from config.gc_tuning import gc_tune_from_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# The application is loaded: freeze it and collect cyclic garbage less often (why: the module's
# docstring). Each gunicorn worker imports this module itself, after its fork.
gc_tune_from_settings()
