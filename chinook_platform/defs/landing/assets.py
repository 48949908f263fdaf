"""Landing: one asset per Chinook table, standing for the raw CSV files of that table in the landing zone."""

import hashlib

import dagster as dg

from chinook_platform.defs.resources import LandingZoneResource
from chinook_platform.lib.contract import TABLES, Table
from chinook_platform.lib.landing import landed_files_of


def build_landing_asset(table: Table) -> dg.AssetsDefinition:
    @dg.asset(
        key=["landing", table.name],
        group_name="landing",
        kinds={"csv"},
        description=(
            f"The raw {table.csv_name} CSV files in the landing zone (`{table.csv_name}.csv`, "
            f"`{table.name}.csv` or `{table.csv_name}/<batch>.csv`). Materializing takes inventory of them; "
            "the data version changes whenever a file is added or changed."
        ),
        metadata={"table_contract": table.csv_name},
    )
    def landing_table(context: dg.AssetExecutionContext, landing_zone: LandingZoneResource) -> dg.MaterializeResult:
        zone = landing_zone.zone()
        files = landed_files_of(table, zone.list_files())
        fingerprint = hashlib.sha256("\n".join(f"{f.key}@{f.version}" for f in files).encode()).hexdigest()[:16]
        context.log.info(f"{len(files)} {table.csv_name} file(s) in {zone.url}")
        return dg.MaterializeResult(
            data_version=dg.DataVersion(fingerprint),
            metadata={
                "files": len(files),
                "bytes": sum(f.size for f in files),
                "landing_zone": zone.url,
                "file_list": dg.MetadataValue.table(
                    records=[
                        dg.TableRecord({"key": f.key, "bytes": f.size, "version": f.version}) for f in files[-50:]
                    ],
                    schema=dg.TableSchema(
                        columns=[
                            dg.TableColumn("key", "string"),
                            dg.TableColumn("bytes", "int"),
                            dg.TableColumn("version", "string"),
                        ]
                    ),
                ),
            },
        )

    return landing_table


landing_assets = [build_landing_asset(t) for t in TABLES]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=landing_assets)
