"""The Chinook Platform code location: every layer's definitions, loaded from the ``defs/`` folder."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        # One step at a time in the run's own process: the embedded databases take one writer at a time,
        # and a subprocess per step would cost more than these steps do.
        dg.Definitions(executor=dg.in_process_executor),
    )
