"""Run an edition folder as Airbyte runs it: `python -m connector_editions.run <folder> spec|check|discover|read ...`

Default: as the `airbyte/source-declarative-manifest` image runs a manifest-only connector. The image's entry point
(the CDK's `source-declarative-manifest`) finds `manifest.yaml` in its code folder and takes its local-manifest
path: a `YamlDeclarativeSource` on that file, built with the command's config, catalog and state, launched with the
command line; the folder is the script's folder, so `components.py` there is the module `components`. The same is
done here with the CDK's public classes, the folder in place of /airbyte/integration_code (which the CDK's check for
a local manifest names absolutely). Custom code is allowed (AIRBYTE_ENABLE_UNSAFE_CODE=true), as on self-managed
Airbyte.

`--sdm-cli` runs the CDK's `source-declarative-manifest` console entry point itself instead, with
`--manifest-path` and `--components-path` (its form for a folder outside an image): the manifest then travels in
the config, and its `spec` answers the generic spec of the CDK's runner, not the folder's.

`--cloud` runs a Cloud edition folder as Airbyte Cloud runs a Builder connector: the CDK's
`source-declarative-manifest` entry point with the manifest in the config (`--manifest-path`, no components) and
custom code not permitted (AIRBYTE_ENABLE_UNSAFE_CODE taken out of the environment). `spec` answers the manifest's
own spec (what the Builder shows), read by the CDK's source class with custom components untrusted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

USAGE = ("usage: python -m connector_editions.run [--sdm-cli | --cloud] <edition folder> spec|check|discover|read "
         "[--config ...]")
ALLOW_CUSTOM_CODE = "AIRBYTE_ENABLE_UNSAFE_CODE"


def run_as_image(folder: Path, args: list[str]) -> None:
    """The image's local-manifest path (source-declarative-manifest's `handle_local_manifest_command`)."""
    from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
    from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

    sys.path.insert(0, str(folder))  # the image's code folder is the script's: `components` is its components.py
    parsed = AirbyteEntrypoint.parse_args(args)
    config = YamlDeclarativeSource.read_config(parsed.config) if getattr(parsed, "config", None) else None
    catalog = YamlDeclarativeSource.read_catalog(parsed.catalog) if getattr(parsed, "catalog", None) else None
    state = YamlDeclarativeSource.read_state(parsed.state) if getattr(parsed, "state", None) else []
    source = YamlDeclarativeSource(path_to_yaml=str(folder / "manifest.yaml"), catalog=catalog, config=config,
                                   state=state, config_path=getattr(parsed, "config", None))
    launch(source, args)


def run_sdm_cli(folder: Path, args: list[str], components: bool = True) -> None:
    """The CDK's `source-declarative-manifest` entry point, with the folder's manifest and components as files."""
    from airbyte_cdk.cli.source_declarative_manifest import run

    extra = ["--manifest-path", str(folder / "manifest.yaml")]
    if components and (folder / "components.py").is_file():
        extra += ["--components-path", str(folder / "components.py")]
    sys.argv = ["source-declarative-manifest", *args, *([] if args[:1] == ["spec"] else extra)]
    run()


def run_as_cloud(folder: Path, args: list[str]) -> None:
    """As Airbyte Cloud runs a Builder connector: the manifest in the config, custom code not permitted."""
    os.environ.pop(ALLOW_CUSTOM_CODE, None)
    if args[:1] != ["spec"]:
        run_sdm_cli(folder, args, components=False)
        return
    import yaml
    from airbyte_cdk.entrypoint import launch
    from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

    manifest = yaml.safe_load((folder / "manifest.yaml").read_text())
    launch(ConcurrentDeclarativeSource(catalog=None, config=None, state=None, source_config=manifest,
                                       custom_components_trusted=False), args)


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    mode = argv[0] if argv and argv[0] in ("--sdm-cli", "--cloud") else None
    argv = argv[1:] if mode else argv
    if len(argv) < 2 or not (Path(argv[0]) / "manifest.yaml").is_file():
        print(USAGE + ("" if len(argv) < 1 else f"\n{argv[0]} holds no manifest.yaml"), file=sys.stderr)
        return 2
    folder = Path(argv[0]).resolve()
    if mode == "--cloud":
        run_as_cloud(folder, argv[1:])
        return 0
    os.environ[ALLOW_CUSTOM_CODE] = "true"
    (run_sdm_cli if mode else run_as_image)(folder, argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
