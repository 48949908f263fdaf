"""Benchmark: one landing-sensor tick over many S3 objects, against a real S3 server (moto's) on loopback.

Usage: python benchmarks/landing_sensor.py [--objects 1000 10000]

Uploads N small daily files under one prefix, then times what the sensor does each tick: listing the prefix
(paginated, 1,000 keys a page) and the whole tick, until every object has had its run requested (at most
MAX_RUNS_PER_TICK a tick), and one more tick that finds nothing new. Dagster's sensor timeout is 60 s.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
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

    import boto3
    import dagster as dg
    from moto.server import ThreadedMotoServer

    from chinook_platform.defs.landing.sensors import MAX_RUNS_PER_TICK, landing_sensor
    from chinook_platform.defs.resources import LandingZoneResource

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    print("| objects | list prefix (s) | first tick (s) | ticks to catch up | slowest tick (s) | idle tick (s) "
          "| cursor bytes | peak MiB |")
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

            cursor, ticks, requested = None, [], 0
            while True:
                start = time.perf_counter()
                with dg.build_sensor_context(cursor=cursor, resources={"landing_zone": zone_resource}) as context:
                    result = landing_sensor(context)
                ticks.append(time.perf_counter() - start)
                cursor = result.cursor
                if not result.run_requests:
                    break
                assert len(result.run_requests) <= MAX_RUNS_PER_TICK
                requested += len(result.run_requests)
            assert requested == count, (requested, count)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {count:,} | {list_seconds:.2f} | {ticks[0]:.2f} | {len(ticks) - 1} | {max(ticks):.2f} | "
                  f"{ticks[-1]:.2f} | {len(json.dumps(cursor)):,} | {peak:.0f} |", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
