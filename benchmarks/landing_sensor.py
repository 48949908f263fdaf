"""Benchmark: one landing-sensor tick over many S3 objects, against a real S3 server (moto's) on loopback.

Usage: python benchmarks/landing_sensor.py [--objects 1000 10000]

Uploads N small daily files under one prefix, then times what the sensor does: listing the prefix (paginated,
1,000 keys a page), the first tick (every file is new: one run requested for all of them), a tick while that run
is pending (nothing requested again), and a tick once the load log holds every file (the cursor empties).
Dagster's sensor timeout is 60 s. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, nargs="+", default=[1_000, 10_000])
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the S3 server's access log

    import tempfile
    from datetime import datetime

    import boto3
    import dagster as dg
    from moto.server import ThreadedMotoServer

    from chinook_platform.defs.landing.sensors import landing_sensor
    from chinook_platform.defs.resources import LandingZoneResource, OltpDatabase
    from chinook_platform.lib.oltp import load_log

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    print(
        "| objects | list prefix (s) | first tick (s) | tick while pending (s) | tick once loaded (s) "
        "| cursor bytes pending | cursor bytes loaded | peak MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for count in args.objects:
            bucket = f"bench-{uuid.uuid4().hex[:8]}"
            client.create_bucket(Bucket=bucket)
            keys = [f"landing/InvoiceLine/{day:06d}.csv" for day in range(count)]
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda key, b=bucket: client.put_object(Bucket=b, Key=key, Body=b"Id\n"), keys))
            zone_resource = LandingZoneResource(url=f"s3://{bucket}/landing", s3_endpoint_url=endpoint)

            start = time.perf_counter()
            listed = zone_resource.zone().list_files()
            list_seconds = time.perf_counter() - start
            assert len(listed) == count

            oltp = OltpDatabase(url=f"sqlite:///{tempfile.mkdtemp()}/oltp.sqlite")
            zone = zone_resource.zone()

            def tick(cursor: str | None, resources=None) -> tuple[float, dg.SensorResult]:  # noqa: ANN001
                start = time.perf_counter()
                with dg.build_sensor_context(cursor=cursor, resources=resources) as context:
                    result = landing_sensor(context)
                return time.perf_counter() - start, result

            first_seconds, first = tick(None, {"landing_zone": zone_resource, "oltp": oltp})
            assert len(first.run_requests) == 1
            pending_seconds, pending = tick(first.cursor, {"landing_zone": zone_resource, "oltp": oltp})
            assert pending.run_requests == []
            with oltp.engine().begin() as conn:  # what the run's loads record
                conn.execute(
                    load_log.insert(),
                    [
                        {
                            "table_name": "invoice_line",
                            "source_file": zone.location(f.key),
                            "source_version": f.version,
                            "status": "loaded",
                            "loaded_at": datetime.now(),
                        }
                        for f in listed
                    ],
                )
            loaded_seconds, loaded = tick(pending.cursor, {"landing_zone": zone_resource, "oltp": oltp})
            assert loaded.run_requests == []
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"| {count:,} | {list_seconds:.2f} | {first_seconds:.2f} | {pending_seconds:.2f} | "
                f"{loaded_seconds:.2f} | {len(pending.cursor):,} | {len(loaded.cursor):,} | {peak:.0f} |",
                flush=True,
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
