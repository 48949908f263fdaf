"""The resources every layer shares, configured in one place from the environment (see ``.env.example``)."""


from functools import cache

import dagster as dg
import sqlalchemy as sa

from chinook_platform.lib.environment import default_landing_url, default_oltp_url, is_set
from chinook_platform.lib.landing_zone import LandingZone, LocalLandingZone
from chinook_platform.lib.oltp_database import create_oltp_engine


@cache
def _oltp_engine(url: str, schema: str | None) -> sa.Engine:
    return create_oltp_engine(url, schema=schema)


class OltpDatabase(dg.ConfigurableResource):
    """The normalized OLTP database: a SQLite file by default, PostgreSQL (e.g. RDS) when a URL names one."""

    url: str
    db_schema: str | None = None

    def engine(self) -> sa.Engine:
        """A shared engine with the schema created (idempotent)."""
        return _oltp_engine(self.url, self.db_schema or None)

    @property
    def backend(self) -> str:
        return sa.make_url(self.url).get_backend_name()


class LandingZoneResource(dg.ConfigurableResource):
    """Where raw CSV files land: a local folder by default."""

    url: str

    def zone(self) -> LandingZone:
        return LocalLandingZone(self.url)


def _from_env(variable: str, default: str) -> str | dg.EnvVar:
    """``dg.EnvVar`` when the variable is set (resolved at run time, never stored), else the default."""
    return dg.EnvVar(variable) if is_set(variable) else default


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "oltp": OltpDatabase(
            url=_from_env("CHINOOK_OLTP_URL", default_oltp_url()),
            db_schema=_from_env("CHINOOK_OLTP_SCHEMA", ""),
        ),
        "landing_zone": LandingZoneResource(url=_from_env("CHINOOK_LANDING_URL", default_landing_url())),
    }


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
