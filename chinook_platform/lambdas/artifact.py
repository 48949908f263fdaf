"""Build the landing loader's deployment zip: ``chinook_platform`` (its ``lib`` and ``lambdas``) and the wheels it
imports, for the Lambda runtime (Python 3.12 on arm64 by default), pinned by ``constraints.txt``.

``python -m chinook_platform.lambdas.artifact OUT.zip [--platform P --python-version V]`` (``make lambda-zip``).
``--notifier`` writes the landing notifier's zip instead: its one ``handler.py``, byte-identical on every build
(fixed timestamps), so its hash changes only when the handler does (Terraform reads it with filebase64sha256).
boto3 is the runtime's own. What the loader never imports is left out (Arrow Flight, headers, test suites), so
the unzipped size stays under Lambda's 250 MB; the build fails rather than produce a larger one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = ["numpy", "pyarrow", "sqlalchemy", "psycopg[binary]"]
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
PACKAGE_PARTS = ["__init__.py", "lib", "lambdas"]
PRUNED_DIRS = {"__pycache__", "tests", "include"}
PRUNED_SUFFIXES = {".pyx", ".pxd", ".pxi", ".h", ".hpp", ".cc", ".cpp"}
PRUNED_NAME_PARTS = ("arrow_flight", "_flight.", "libarrow_python_flight")
NOTIFIER_HANDLER = REPO / "terraform" / "lambda" / "landing_notifier" / "handler.py"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def kept(path: Path) -> bool:
    return not (
        PRUNED_DIRS & set(path.parts)
        or path.suffix in PRUNED_SUFFIXES
        or any(part in path.name for part in PRUNED_NAME_PARTS)
    )


def build(out: Path, platform: str = "aarch64-manylinux_2_28", python_version: str = "3.12") -> int:
    """Write the zip; returns its unzipped size in bytes."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        subprocess.run(
            [
                str(Path(sys.executable).with_name("uv")),
                "pip",
                "install",
                "--quiet",
                "--target",
                str(root),
                "--python-platform",
                platform,
                "--python-version",
                python_version,
                "--only-binary",
                ":all:",
                "-c",
                str(REPO / "constraints.txt"),
                *REQUIREMENTS,
            ],
            check=True,
        )
        for part in PACKAGE_PARTS:
            source = REPO / "chinook_platform" / part
            target = root / "chinook_platform" / part
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, target)
        files = sorted(p for p in root.rglob("*") if p.is_file() and kept(p.relative_to(root)))
        size = sum(p.stat().st_size for p in files)
        if size > LAMBDA_UNZIPPED_LIMIT:
            raise SystemExit(f"{size / 2**20:.0f} MiB unzipped is over Lambda's 250 MB: build a container image")
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for path in files:
                archive.write(path, path.relative_to(root).as_posix())
    return size


def build_notifier(out: Path, handler: Path = NOTIFIER_HANDLER) -> None:
    """Write the notifier's zip: ``handler.py`` at its root, mode 0644, a fixed timestamp."""
    out.parent.mkdir(parents=True, exist_ok=True)
    entry = zipfile.ZipInfo("handler.py", date_time=ZIP_EPOCH)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o100644 << 16
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(entry, handler.read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--platform", default="aarch64-manylinux_2_28", help="uv's --python-platform")
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--notifier", action="store_true", help="the landing notifier's zip instead")
    args = parser.parse_args()
    if args.notifier:
        build_notifier(args.out)
        print(f"{args.out}: {args.out.stat().st_size} bytes")
        return
    size = build(args.out, args.platform, args.python_version)
    print(f"{args.out}: {args.out.stat().st_size / 2**20:.1f} MiB zipped, {size / 2**20:.1f} MiB unzipped")


if __name__ == "__main__":
    main()
