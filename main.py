"""App Engine entry point: gunicorn serves ``main:app``.

Settings come from the environment (app.yaml's env_variables and Secret Manager); production
mode is forced on App Engine, so a missing secret stops the instance with a clear message.
"""

from sheets_sync.web import create_app

app = create_app()
