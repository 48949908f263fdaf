"""Landing: the zone where raw CSV files arrive (a folder or an S3 prefix), the sensor's cursor over it, and how
a landed file is read and validated as one contract table."""

from chinook_platform.lib import public_names

_PUBLIC = {  # module: the names it gives the package
    "zone": (
        "LandedFile",
        "LandingZone",
        "LocalLandingZone",
        "S3LandingZone",
        "classify",
        "files_by_table",
        "iter_csv_files",
        "landed_files_of",
        "landing_zone_at",
    ),
    "cursor": ("LandingCursor", "version_id"),
    "csv_reader": ("read_validated_blocks",),
    "validation": (
        "ARROW_TYPES",
        "SOURCE_ROW",
        "FileRejected",
        "HeaderMapping",
        "Rejection",
        "ValidatedBlock",
        "strings_from_raw_rows",
        "validate_strings",
    ),
}
__all__ = sorted(name for names in _PUBLIC.values() for name in names)
__getattr__ = public_names(__name__, _PUBLIC)
