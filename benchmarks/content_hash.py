"""What recognising identical content costs: sha256 of a 1,000,000-line file alone, its first load into SQLite
(hashed while it is read), and a touched copy (same size: hashed first, recorded unchanged).

Run: .venv/bin/python benchmarks/content_hash.py
"""

import tempfile
import time
from pathlib import Path

from chinook_platform.lib.contract import table
from chinook_platform.lib.oltp import create_oltp_engine
from chinook_platform.lib.oltp.load import content_hash_of, load_landed_file

PARENTS = (
    ("artist", "1,'a',1"),
    ("album", "1,'a',1,1"),
    ("genre", "1,'g',1"),
    ("media_type", "1,'m',1"),
    ("track", "1,'t',1,1,1,null,1,99,1"),
    ("customer", "1,'a','b',null,'x','y',null,'z',null,null,'a@b.c',1"),
    ("invoice", "1,1,'2021-01-01 00:00:00','x','y',null,'z',null,99,1"),
)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "InvoiceLine.csv"
    with path.open("w") as out:
        out.write("InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n")
        out.writelines(f"{i},1,1,0.99,1\n" for i in range(1, 1_000_001))
    engine = create_oltp_engine(f"sqlite:///{folder / 'oltp.sqlite'}")
    with engine.begin() as conn:  # every line's parents, so every line loads
        conn.exec_driver_sql(
            "insert into load_log (load_id, table_name, source_file, status, loaded_at) "
            "values (1, 'x', 'x', 'loaded', '2024-01-01')"
        )
        for name, values in PARENTS:
            conn.exec_driver_sql(f"insert into {name} values ({values})")
    size = path.stat().st_size
    start = time.perf_counter()
    content_hash_of(lambda: path.open("rb"))
    print(f"file {size / 2**20:.1f} MiB; sha256 alone (a separate read): {time.perf_counter() - start:.2f} s")
    for version, what in (("v1", "first load (hashed while read)"), ("v2", "touched (hashed first)")):
        start = time.perf_counter()
        result = load_landed_file(engine, table("InvoiceLine"), str(path), version, lambda: path.open("rb"), size=size)
        print(f"{what}: {time.perf_counter() - start:.2f} s, {result.status}, {result.rows_inserted} rows inserted")


if __name__ == "__main__":
    main()
