"""Superset's configuration in the Superset test tier (tests/e2e/test_postgres_superset.py): the metadata
database is SQLite in SUPERSET_HOME, the secret key comes from the test, no examples are loaded."""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(os.environ["SUPERSET_HOME"], "superset.db")
# the test drives the REST API over plain HTTP on 127.0.0.1: no HTTPS redirects or content-security headers
TALISMAN_ENABLED = False
