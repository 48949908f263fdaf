"""Landing: the zone where raw CSV files arrive (a folder or an S3 prefix), the sensor's cursor over it, and how
a landed file is read and validated as one contract table."""
# ruff: noqa: F401  (the imports below are the package's face, re-exported)

from typing import TYPE_CHECKING

from chinook_platform.lib import public_names

if TYPE_CHECKING:
    from chinook_platform.lib.landing.csv_reader import read_validated_blocks
    from chinook_platform.lib.landing.cursor import LandingCursor, version_id
    from chinook_platform.lib.landing.validation import (
        SOURCE_ROW,
        FileRejected,
        HeaderMapping,
        Rejection,
        ValidatedBlock,
        strings_from_raw_rows,
        validate_strings,
    )
    from chinook_platform.lib.landing.zone import (
        LandedFile,
        LandingZone,
        LocalLandingZone,
        S3LandingZone,
        classify,
        files_by_table,
        iter_csv_files,
        landed_files_of,
        landing_zone_at,
    )
else:
    __all__, __getattr__ = public_names(__name__)
