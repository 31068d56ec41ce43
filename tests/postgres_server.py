"""The SQL endpoint's embedded PostgreSQL for tests: started under a test's TW_HOME on a free port."""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings, load_settings
from serving.postgres import EmbeddedServer, analyst_dsn, set_analyst


@contextlib.contextmanager
def server_home() -> Iterator[Path]:
    """A TW_HOME for a test server, outside pytest's temporary root: pytest makes ``/tmp/pytest-of-<user>``
    mode 0700 whenever a session starts, which would cut the server's own user (``tw_postgres``, when the
    tests run as root) off its data directory in the middle of a run."""
    home = Path(tempfile.mkdtemp(prefix="tw-pg-test-"))
    home.chmod(0o755)
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Endpoint:
    settings: Settings
    server: EmbeddedServer

    @property
    def admin(self) -> str:
        return self.server.admin_dsn()

    @property
    def port(self) -> int:
        return self.settings.sql_port

    def add_analyst(self, name: str, password: str, settings: Settings | None = None) -> None:
        set_analyst(self.admin, settings or self.settings, name, password)

    def dsn(self, user: str = "analyst", password: str = "s3cret-pw", **extra: str) -> str:
        """An analyst's connection string: TLS, the generated certificate verified (verify-full)."""
        return analyst_dsn(self.settings, user, password, **extra)

    def url(self, user: str = "analyst", password: str = "s3cret-pw", driver: str = "psycopg") -> str:
        """SQLAlchemy's URL of the same connection."""
        cert = self.server.client_certificate
        return (
            f"postgresql+{driver}://{user}:{password}@127.0.0.1:{self.port}/warehouse"
            f"?sslmode=verify-full&sslrootcert={cert}"
        )


@contextlib.contextmanager
def embedded_endpoint(home: Path, **env: str) -> Iterator[Endpoint]:
    """A running embedded server for ``home`` (stopped after the block) with analyst/s3cret-pw."""
    settings = load_settings({"TW_HOME": str(home), "TW_SQL_PORT": str(free_port()), **env})
    server = EmbeddedServer(settings)
    server.start()
    try:
        endpoint = Endpoint(settings, server)
        endpoint.add_analyst("analyst", "s3cret-pw")
        yield endpoint
    finally:
        server.stop()
