"""Landing: the zone where raw CSV files arrive (a folder or an S3 prefix), the sensor's cursor over it, and how
a landed file is read and validated as one contract table."""

from chinook_platform.lib import public_names

_HOMES = {
    "LandedFile": "zone",
    "LandingZone": "zone",
    "LocalLandingZone": "zone",
    "S3LandingZone": "zone",
    "classify": "zone",
    "files_by_table": "zone",
    "iter_csv_files": "zone",
    "landed_files_of": "zone",
    "landing_zone_at": "zone",
    "LandingCursor": "cursor",
    "version_id": "cursor",
    "read_validated_blocks": "csv_reader",
    "ARROW_TYPES": "validation",
    "SOURCE_ROW": "validation",
    "FileRejected": "validation",
    "HeaderMapping": "validation",
    "Rejection": "validation",
    "ValidatedBlock": "validation",
    "strings_from_raw_rows": "validation",
    "validate_strings": "validation",
}
__all__ = sorted(_HOMES)
__getattr__ = public_names(__name__, _HOMES)
