"""`python -m connector_editions EDITION... [--output-dir DIR] [--connector NAME ...] [--check]`

Writes each declarative source's editions (`make manifest-only` writes both): `manifest-only` to
`editions/manifest-only/<source>/`, `cloud` to `editions/cloud/<source>/`. `--check` writes them to a temporary
folder instead and exits 1, naming each file, when the committed folders differ. Exit status 1 (with the reason on
stderr) when a source cannot be made into an edition.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

from connector_editions import cloud, manifest_only
from connector_editions.schemas import BuildError, shown
from connector_editions.self_contained import declarative_sources

BUILDERS: dict[str, Any] = {manifest_only.EDITION: manifest_only, cloud.EDITION: cloud}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connector_editions", description=__doc__.split("\n\n")[1])
    parser.add_argument("editions", nargs="+", choices=list(BUILDERS), metavar="EDITION",
                        help=f"one or more of: {', '.join(BUILDERS)}")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repository root (default: here)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="where <edition>/<source>/ goes (default: editions/ of the repository)")
    parser.add_argument("--connector", action="append", default=None, help="only this source (repeatable)")
    parser.add_argument("--check", action="store_true", help="compare with the committed folders, write nothing")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()

    sources = declarative_sources(repo)
    if args.connector:
        unknown = set(args.connector) - {s.connector for s in sources}
        if unknown:
            parser.error(f"no declarative source named {', '.join(sorted(unknown))}")
        sources = [s for s in sources if s.connector in args.connector]
    if not sources:
        print(f"error: no connectors/source-*/source_*/manifest.yaml under {repo}", file=sys.stderr)
        return 1

    failed, stale = [], []
    with tempfile.TemporaryDirectory(prefix="editions-") as scratch:
        for edition in dict.fromkeys(args.editions):
            builder = BUILDERS[edition]
            committed = repo / "editions" / edition
            output = Path(scratch) / edition if args.check else (
                (args.output_dir / edition) if args.output_dir else committed).resolve()
            for source in sources:
                try:
                    built = builder.build(source, output)
                except BuildError as error:
                    print(f"error: {source.connector}: {error}", file=sys.stderr)
                    failed.append(f"{edition} {source.connector}")
                    continue
                if args.check:
                    found = manifest_only.differences(built.folder, committed / source.connector)
                    stale += [f"{edition}/{source.connector}/{line}" for line in found]
                    continue
                print(f"{source.connector}: {shown(built.folder)} ({len(built.streams)} streams)")
                for loss in built.losses:
                    print(f"  not in this edition: {loss}")
    if failed:
        print(f"error: no edition for {', '.join(failed)}", file=sys.stderr)
        return 1
    if stale:
        print("error: the committed editions differ from their packages (run make manifest-only):\n  "
              + "\n  ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
