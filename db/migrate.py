"""Alembic migrations driven from Python, for `ivr db upgrade` and the tests."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    """An Alembic config for this project's migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))  # ConfigParser interpolates %
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to the given revision."""
    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a migration from the difference between models and database."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
