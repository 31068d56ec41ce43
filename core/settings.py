"""Configuration: every environment variable the project reads is read here, once (``load_settings``).

The rest of the code receives a :class:`Settings` (function arguments, Dagster resources); the dbt
process receives ``Settings.dbt_env()``. ``tests/unit/test_architecture.py`` fails when another runtime
module reads the environment, and ``tests/unit/test_settings.py`` when a default in ``dbt_project/``
differs from the one below.

| variable | default | meaning |
|---|---|---|
| TW_HOME | ``<repo>/var`` | where the raw zone, build database, releases and check results live |
| TW_INBOX_DIR | ``<repo>/data/inbox`` | where feed files land (``<feed>/…``); the sensor watches it |
| TW_PSEUDONYM_KEY | (none) | key of the keyed hash for graduate ids; required unless TW_DEMO=1 |
| TW_DEMO | ``0`` | ``1`` allows a fixed, public demo key (sample data only) |
| TW_DBT_TARGET | ``duckdb`` | dbt target in dbt_project/profiles.yml: ``duckdb``, ``spark`` (local PySpark) |
| | | or ``spark_cluster`` (Thrift); docs/scale-out.md |
| TW_DBT_THREADS | ``2`` | dbt threads: models and tests dbt runs at once (DuckDB spreads each query over |
| | | the cores itself). ``1`` made the full build at L 10% faster (two large staging models at once |
| | | share TW_DUCKDB_MEMORY_LIMIT and spill) and a month's incremental build at M 0.5–4 s slower |
| | | (docs/performance.md); a Spark cluster (``spark_cluster``) may take more |
| TW_DBT_FORKSERVER | ``1`` | ``tw run`` imports dbt once, in a process that forks each dbt command |
| | | (transformation/dbt_forkserver.py); ``0``: each command starts the dbt executable |
| TW_DUCKDB_MEMORY_LIMIT | ``4GB`` | DuckDB's memory limit in the dbt build; beyond it DuckDB spills to |
| | | ``TW_HOME/warehouse/build.duckdb.tmp/`` |
| TW_SPARK_WAREHOUSE_DIR | ``TW_HOME/warehouse/spark-warehouse`` | Spark targets: where Spark writes the |
| | | model tables (Parquet); publication reads the marts from there |
| TW_SPARK_MASTER | ``local[2]`` | target ``spark``: the Spark master of the in-process session |
| TW_SPARK_DRIVER_MEMORY | ``4g`` | target ``spark``: the driver's memory |
| TW_SPARK_SHUFFLE_PARTITIONS | ``8`` | target ``spark``: ``spark.sql.shuffle.partitions`` |
| TW_SPARK_LOG_LEVEL | ``ERROR`` | target ``spark``: the JVM's log level on the console |
| TW_SPARK_HOST | ``localhost`` | target ``spark_cluster``: the Thrift server's host |
| TW_SPARK_PORT | ``10000`` | target ``spark_cluster``: its port |
| TW_SPARK_USER | ``dbt`` | target ``spark_cluster``: the user dbt connects as |
| TW_INGEST_WORKERS | ``2`` | files of a feed ingested at once (memory grows with it; ``1``: one at a time) |
| TW_PUBLICATION_WORKERS | ``2`` | processes publication shares its work among: the disclosure audit's |
| | | components, the lists workbooks, the white papers' PDFs (``1``: all in the |
| | | publishing process; docs/disclosure.md, docs/lists.md) |
| TW_KEEP_RELEASES | ``5`` | published releases kept on disk |
| TW_SCHEDULE_CRON | ``0 2 * * *`` | when the scheduled refresh runs |
| TW_SENSOR_INTERVAL_SECONDS | ``60`` | how often the inbox sensor looks |
| TW_SQL_HOST | ``127.0.0.1`` | SQL endpoint addresses (comma-separated; ``*``: all); empty is refused |
| TW_SQL_PORT | ``5433`` | its port |
| TW_SQL_USERS | (none) | ``user:password`` pairs: analysts set up by ``tw serve`` (demo: analyst:analyst) |
| TW_PG_DSN | (none) | an existing PostgreSQL server to serve from, instead of the embedded one |
| TW_PG_TLS_CERT | (none) | the embedded server's certificate (PEM; default: a generated self-signed one) |
| TW_PG_TLS_KEY | (none) | its private key (PEM); set both or neither |
| TW_PG_STATEMENT_TIMEOUT_SECONDS | ``300`` | an analyst's statement is cancelled after this long |
| TW_PG_IDLE_IN_TRANSACTION_SECONDS | ``60`` | an analyst's session idle in a transaction is closed |
| TW_PG_CONNECTIONS_PER_USER | ``10`` | connections one analyst may hold at once |
| TW_PG_PROCESS_MEMORY_MB | ``1024`` | private memory of each embedded server process (``0``: no limit) |
| TW_PG_RELEASE_GRACE_HOURS | ``24`` | release schemas switched out longer ago are dropped |
| TW_SUPPRESSION_K | ``5`` | published counts of persons under k are masked (small-cell suppression); |
| | | ``0`` turns it off |
| TW_WHITEPAPER_PDF | ``auto`` | the white papers' PDF (publication/whitepaper/): ``auto`` prints it when |
| | | Chromium is found, ``required`` fails the publication without it, ``off`` writes HTML only |
| TW_CHROMIUM | (found on PATH) | the headless Chromium that prints the PDF (default: ``chromium``, |
| | | ``chromium-browser`` or ``google-chrome`` on the search path) |
| PATH | (the system's) | the search path where Chromium is looked for when TW_CHROMIUM is not set |
| TW_FAILPOINTS | (none) | testing only: comma-separated failpoint names at which the run kills itself |
| | | (SIGKILL; core/failpoints.py) |
| DAGSTER_HOME | ``TW_HOME/dagster`` | Dagster's instance folder (run history); ``dagster dev`` reads it too |

A full rebuild is not a setting of the environment: ``tw run --full-refresh``, or the ``full_refresh``
field of the ``warehouse`` resource in a run's configuration (Dagster's launchpad).
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# The Python packages the pipeline runs (the wheel's packages in pyproject.toml): their code shapes a release.
RUNTIME_PACKAGES: tuple[str, ...] = tuple(
    tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]["packages"]
)
DEMO_KEY = b"talent-warehouse-demo-key-not-for-real-data"


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class PostgresSettings:
    """The SQL endpoint's PostgreSQL (serving/postgres.py, publication/postgres.py)."""

    dsn: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    statement_timeout_seconds: int = 300
    idle_in_transaction_seconds: int = 60
    connections_per_user: int = 10
    # private memory of each server process of the embedded server (ulimit -d at start; 0: no limit): what
    # bounds an analyst who raises work_mem, which PostgreSQL lets every user SET (docs/sql-endpoint.md)
    process_memory_mb: int = 1024
    release_grace_hours: float = 24

    @property
    def embedded(self) -> bool:
        return self.dsn is None


WHITEPAPER_PDF_MODES = ("auto", "required", "off")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


@dataclass(frozen=True)
class WhitepaperSettings:
    """The white papers printed at publication (publication/whitepaper/)."""

    pdf: str = "auto"  # auto | required | off
    chromium: Path | None = None  # the browser that prints the PDF; None: none was found

    @property
    def prints_pdf(self) -> bool:
        return self.pdf != "off" and (self.chromium is not None or self.pdf == "required")


@dataclass(frozen=True)
class Settings:
    home: Path
    inbox_dir: Path
    pseudonym_key: bytes | None
    demo: bool
    dbt_target: str
    dbt_threads: int
    dbt_forkserver: bool
    keep_releases: int
    schedule_cron: str
    sensor_interval_seconds: int
    sql_host: str
    sql_port: int
    sql_users: dict[str, str]
    dagster_home: Path
    suppression_k: float
    duckdb_memory_limit: str
    failpoints: frozenset[str]
    ingest_workers: int
    publication_workers: int
    spark_warehouse_dir: Path | None
    spark_master: str
    spark_driver_memory: str
    spark_shuffle_partitions: int
    spark_log_level: str
    spark_host: str
    spark_port: int
    spark_user: str
    postgres: PostgresSettings = field(default_factory=lambda: PostgresSettings())
    whitepaper: WhitepaperSettings = field(default_factory=lambda: WhitepaperSettings())

    def require_sql_users(self) -> dict[str, str]:
        """Users of the SQL endpoint; it never runs without authentication."""
        if self.sql_users:
            return self.sql_users
        if self.demo:
            return {"analyst": "analyst"}
        raise ConfigurationError(
            "TW_SQL_USERS is not set: give the SQL endpoint at least one user, e.g. "
            "TW_SQL_USERS='analyst:<password>' (or TW_DEMO=1 for analyst/analyst on sample data)"
        )

    def require_key(self) -> bytes:
        """The pseudonymisation key; outside the demo the pipeline refuses to ingest without one."""
        if self.pseudonym_key:
            return self.pseudonym_key
        if self.demo:
            return DEMO_KEY
        raise ConfigurationError(
            "TW_PSEUDONYM_KEY is not set: graduate ids must be pseudonymised with a secret key. "
            "Set it (e.g. from your secret store), or set TW_DEMO=1 to run on sample data with a public key."
        )

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def logs_dir(self) -> Path:
        """A refresh's log (``run-<time>.log``) and its dbt build's ``run_results.json``."""
        return self.home / "logs"

    @property
    def build_db(self) -> Path:
        return self.home / "warehouse" / "build.duckdb"

    @property
    def disclosure_memo(self) -> Path:
        """The protector's remembered component audits (publication/disclosure_memo.py): beside the build,
        derived from its exact figures, never published."""
        return self.home / "warehouse" / "disclosure_memo.parquet"

    @property
    def builds_on_spark(self) -> bool:
        """dbt builds on Apache Spark (targets ``spark`` and ``spark_cluster``), not in ``build_db``."""
        return self.dbt_target.startswith("spark")

    @property
    def spark_warehouse(self) -> Path:
        """Spark's warehouse directory: one folder of Parquet files per table, ``<schema>.db/<table>/``."""
        return self.spark_warehouse_dir or self.home / "warehouse" / "spark-warehouse"

    @property
    def build_exists(self) -> bool:
        """Whether an earlier dbt build left its tables (in ``build_db``, or in Spark's warehouse)."""
        return (
            (self.spark_warehouse / "marts.db").is_dir() if self.builds_on_spark else self.build_db.exists()
        )

    @property
    def releases_dir(self) -> Path:
        return self.home / "releases"

    @property
    def current_release_link(self) -> Path:
        """Symlink to the published release's folder; readers open ``current/warehouse.duckdb``."""
        return self.releases_dir / "current"

    @property
    def published_db(self) -> Path:
        return self.current_release_link / "warehouse.duckdb"

    def dbt_env(self) -> dict[str, str]:
        """What the dbt process reads with ``env_var()`` (profiles.yml, sources, macros): every value given.

        dbt's own defaults in ``env_var(name, default)`` apply only to dbt run by hand from dbt_project/;
        ``tests/unit/test_settings.py`` checks that they equal the defaults here.
        """
        return {
            "TW_RAW_DIR": str(self.raw_dir),
            "TW_BUILD_DB": str(self.build_db),
            "TW_DBT_TARGET": self.dbt_target,
            "TW_DBT_THREADS": str(self.dbt_threads),
            "TW_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "TW_SPARK_WAREHOUSE_DIR": str(self.spark_warehouse),
            "TW_SPARK_MASTER": self.spark_master,
            "TW_SPARK_DRIVER_MEMORY": self.spark_driver_memory,
            "TW_SPARK_SHUFFLE_PARTITIONS": str(self.spark_shuffle_partitions),
            "TW_SPARK_LOG_LEVEL": self.spark_log_level,
            "TW_SPARK_HOST": self.spark_host,
            "TW_SPARK_PORT": str(self.spark_port),
            "TW_SPARK_USER": self.spark_user,
        }

    def ensure_dirs(self) -> None:
        for d in (self.raw_dir, self.build_db.parent, self.releases_dir, self.inbox_dir):
            d.mkdir(parents=True, exist_ok=True)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``env`` (the process environment when not given): the only reader of it."""
    env = os.environ if env is None else env
    home = Path(env.get("TW_HOME", REPO_ROOT / "var")).resolve()
    return Settings(
        home=home,
        inbox_dir=Path(env.get("TW_INBOX_DIR", REPO_ROOT / "data" / "inbox")).resolve(),
        pseudonym_key=env.get("TW_PSEUDONYM_KEY", "").encode("utf-8") or None,
        demo=_flag(env.get("TW_DEMO")),
        dbt_target=env.get("TW_DBT_TARGET", "duckdb"),
        dbt_threads=_integer(env, "TW_DBT_THREADS", 2),
        dbt_forkserver=_flag(env.get("TW_DBT_FORKSERVER") or "1"),
        keep_releases=_integer(env, "TW_KEEP_RELEASES", 5),
        schedule_cron=env.get("TW_SCHEDULE_CRON", "0 2 * * *"),
        sensor_interval_seconds=_integer(env, "TW_SENSOR_INTERVAL_SECONDS", 60),
        sql_host=_listen_host(env.get("TW_SQL_HOST", "127.0.0.1")),
        sql_port=_integer(env, "TW_SQL_PORT", 5433),
        sql_users=_users(env.get("TW_SQL_USERS", "")),
        dagster_home=Path(env.get("DAGSTER_HOME", home / "dagster")).resolve(),
        suppression_k=_non_negative("TW_SUPPRESSION_K", env.get("TW_SUPPRESSION_K", "5")),
        duckdb_memory_limit=env.get("TW_DUCKDB_MEMORY_LIMIT", "4GB"),
        ingest_workers=max(1, _integer(env, "TW_INGEST_WORKERS", 2)),
        publication_workers=max(1, _integer(env, "TW_PUBLICATION_WORKERS", 2)),
        failpoints=frozenset(filter(None, (f.strip() for f in env.get("TW_FAILPOINTS", "").split(",")))),
        spark_warehouse_dir=Path(env["TW_SPARK_WAREHOUSE_DIR"]).resolve()
        if env.get("TW_SPARK_WAREHOUSE_DIR")
        else None,
        spark_master=env.get("TW_SPARK_MASTER", "local[2]"),
        spark_driver_memory=env.get("TW_SPARK_DRIVER_MEMORY", "4g"),
        spark_shuffle_partitions=_integer(env, "TW_SPARK_SHUFFLE_PARTITIONS", 8),
        spark_log_level=env.get("TW_SPARK_LOG_LEVEL", "ERROR"),
        spark_host=env.get("TW_SPARK_HOST", "localhost"),
        spark_port=_integer(env, "TW_SPARK_PORT", 10000),
        spark_user=env.get("TW_SPARK_USER", "dbt"),
        postgres=_postgres_settings(env),
        whitepaper=_whitepaper_settings(env),
    )


def _whitepaper_settings(env: Mapping[str, str]) -> WhitepaperSettings:
    mode = env.get("TW_WHITEPAPER_PDF", "auto").strip().lower() or "auto"
    if mode not in WHITEPAPER_PDF_MODES:
        raise ConfigurationError(
            f"TW_WHITEPAPER_PDF: {mode!r} is not one of {', '.join(WHITEPAPER_PDF_MODES)}"
        )
    given = env.get("TW_CHROMIUM", "").strip()
    if given:
        found = shutil.which(given, path=env.get("PATH"))
        if found is None:
            raise ConfigurationError(f"TW_CHROMIUM: {given!r} is not an executable file")
        return WhitepaperSettings(mode, Path(found).resolve())
    return WhitepaperSettings(mode, find_chromium(env.get("PATH")))


def find_chromium(search: str | None = None) -> Path | None:
    """The first of :data:`CHROMIUM_NAMES` on the search path ``search`` (None: the process's PATH)."""
    found = next((f for n in CHROMIUM_NAMES if (f := shutil.which(n, path=search)) is not None), None)
    return Path(found) if found else None


def _listen_host(text: str) -> str:
    """Addresses the SQL endpoint listens on; an empty value must not silently mean every interface."""
    addresses = [a.strip() for a in text.split(",") if a.strip()]
    if not addresses:
        raise ConfigurationError(
            "TW_SQL_HOST is empty: give the address(es) to listen on, e.g. 127.0.0.1 (the default), "
            "or '*' to listen on every interface on purpose"
        )
    return ",".join(addresses)


def _postgres_settings(env: Mapping[str, str]) -> PostgresSettings:
    cert, key = env.get("TW_PG_TLS_CERT"), env.get("TW_PG_TLS_KEY")
    if bool(cert) != bool(key):
        raise ConfigurationError("TW_PG_TLS_CERT and TW_PG_TLS_KEY go together: set both or neither")
    return PostgresSettings(
        dsn=env.get("TW_PG_DSN") or None,
        tls_cert=Path(cert).resolve() if cert else None,
        tls_key=Path(key).resolve() if key else None,
        statement_timeout_seconds=int(
            _non_negative(
                "TW_PG_STATEMENT_TIMEOUT_SECONDS", env.get("TW_PG_STATEMENT_TIMEOUT_SECONDS", "300")
            )
        ),
        idle_in_transaction_seconds=int(
            _non_negative(
                "TW_PG_IDLE_IN_TRANSACTION_SECONDS", env.get("TW_PG_IDLE_IN_TRANSACTION_SECONDS", "60")
            )
        ),
        connections_per_user=int(
            _non_negative("TW_PG_CONNECTIONS_PER_USER", env.get("TW_PG_CONNECTIONS_PER_USER", "10"))
        ),
        process_memory_mb=int(
            _non_negative("TW_PG_PROCESS_MEMORY_MB", env.get("TW_PG_PROCESS_MEMORY_MB", "1024"))
        ),
        release_grace_hours=_non_negative(
            "TW_PG_RELEASE_GRACE_HOURS", env.get("TW_PG_RELEASE_GRACE_HOURS", "24")
        ),
    )


@contextmanager
def child_process_environment(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in the process environment while the block runs, restored after it.

    Only for a library that starts its child process from ``os.environ`` and takes no environment of
    its own: dagster-dbt 0.29's ``DbtCliResource.cli`` (orchestration/resources.py). The values come
    from :class:`Settings`; nothing reads them back in this process. Not for concurrent use (Dagster's
    in-process executor runs one step at a time).
    """
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def passed_on_environment() -> dict[str, str]:
    """The whole process environment, unread: for a process that only carries it to the one that runs its
    command (the dbt fork server's client, transformation/dbt_forkserver.py; a process it execs inherits
    it as well)."""
    return dict(os.environ)


def take_environment(values: Mapping[str, str]) -> None:
    """Replace the process environment by ``values``, unread: a forked process that becomes another's
    command takes that one's (the dbt fork server's child, transformation/dbt_forkserver.py)."""
    os.environ.clear()
    os.environ.update(values)


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if text is None or not text.strip():
        return default
    try:
        return int(text)
    except ValueError:
        raise ConfigurationError(f"{name}: {text!r} is not a whole number (default {default})") from None


def _non_negative(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigurationError(f"{name}: {text!r} is not a non-negative number")
    return value


def _users(text: str) -> dict[str, str]:
    users = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        user, sep, password = pair.partition(":")
        if not sep or not user or not password:
            raise ConfigurationError(f"TW_SQL_USERS: {pair!r} is not of the form user:password")
        users[user] = password
    return users
