"""`airbyte-pipeline`: run a pipeline file (or show what would run), or show each stream's last run and state.

    airbyte-pipeline run PIPELINE.yaml [--dry-run]   # cron: exit code 0 when everything ran, 1 when a part failed
    airbyte-pipeline status PIPELINE.yaml [--json]
    airbyte-pipeline deploy PIPELINE.yaml --to TARGET.yaml [--dry-run]   # to an Airbyte instance (README)

A pipeline file with a mistake is rejected before anything runs (exit code 2), each problem with its line.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from datetime import datetime
from pathlib import Path
from typing import Optional

from airbyte_pipeline.pipeline_state import StateFileError
from airbyte_pipeline.private_files import private_process
from airbyte_pipeline.problems import PipelineFileError

EXIT_OK, EXIT_FAILED, EXIT_BAD_FILE, EXIT_INTERRUPTED = 0, 1, 2, 130


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="airbyte-pipeline", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="read every source into the cache, then push the chosen streams to Plecto")
    run.add_argument("pipeline", type=Path)
    run.add_argument("--dry-run", action="store_true", help="check the file and the connector configs, print what "
                                                            "would run, run nothing")
    status = commands.add_parser("status", help="each stream's last run, its source state and what was pushed")
    status.add_argument("pipeline", type=Path)
    status.add_argument("--json", action="store_true", help="machine-readable")
    deploy = commands.add_parser("deploy", help="the pipeline's sources, pushes and schedule to an Airbyte instance "
                                                "(Cloud or self-managed) through its public API")
    deploy.add_argument("pipeline", type=Path)
    deploy.add_argument("--to", type=Path, required=True, metavar="TARGET",
                        help="the deploy target file: instance, workspace, credentials as ${VARIABLES}")
    deploy.add_argument("--dry-run", action="store_true", help="read the workspace and print the plan; change nothing")
    for command in (run, status, deploy):
        command.add_argument("--state-dir", type=Path, help="use this state folder instead of the file's")
    return top


def main(argv: Optional[list[str]] = None) -> int:
    args = parser().parse_args(argv)
    from airbyte_pipeline.pipeline_file import load_pipeline

    try:
        pipeline = load_pipeline(args.pipeline, state_dir=args.state_dir)
    except PipelineFileError as error:
        print(error.describe(), file=sys.stderr)
        return EXIT_BAD_FILE
    except Exception as error:  # noqa: BLE001 - never a traceback on the terminal
        print(f"airbyte-pipeline: unexpected error reading {args.pipeline}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return EXIT_FAILED
    for warning in pipeline.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    _prepare_pyairbyte(pipeline.state_dir)
    try:
        if args.command == "status":
            from airbyte_pipeline.status_view import show_status

            return show_status(pipeline, as_json=args.json)
        if args.command == "deploy":
            from airbyte_pipeline.deploy_command import deploy

            return deploy(pipeline, args.to, dry_run=args.dry_run)
        return _run(pipeline, dry_run=args.dry_run)
    except StateFileError as error:
        print(f"airbyte-pipeline: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("airbyte-pipeline: interrupted; what Plecto acknowledged is in the state, the next run goes on from there",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - never a traceback on the terminal: a message, the details in a file
        log = _write_error_log(pipeline.state_dir, pipeline.redactor.clean(traceback.format_exc()))
        print(pipeline.redactor.clean(f"airbyte-pipeline: unexpected error: {type(error).__name__}: {error}"),
              f"(details in {log})", file=sys.stderr)
        return EXIT_FAILED


def _run(pipeline, dry_run: bool) -> int:
    from airbyte_pipeline.connector_specs import check_connector_configs

    problems, notes = check_connector_configs(pipeline)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    if problems:
        print(PipelineFileError(problems, str(pipeline.file)).describe(), file=sys.stderr)
        return EXIT_BAD_FILE
    if dry_run:
        from airbyte_pipeline.run_plan import plan

        print(plan(pipeline))
        return EXIT_OK
    from airbyte_pipeline.progress import Progress
    from airbyte_pipeline.run_lock import AlreadyRunning, run_lock
    from airbyte_pipeline.run_report import run_table
    from airbyte_pipeline.runner import run_pipeline

    try:
        with run_lock(pipeline.state_dir):
            summary = run_pipeline(pipeline, Progress(pipeline.redactor))
    except AlreadyRunning as error:
        print(f"airbyte-pipeline: not started: {error}", file=sys.stderr)
        return EXIT_FAILED
    print("\n" + pipeline.redactor.clean(run_table(summary)), flush=True)
    return EXIT_OK if summary.ok else EXIT_FAILED


def _prepare_pyairbyte(state_dir: Path) -> None:
    """Before PyAirbyte is imported: no registry or telemetry calls (the connectors are local executables), plain
    progress, private files (umask 077), its log and temporary files in the state folder (private_files); library
    warnings are not the user's business."""
    private_process(state_dir)
    os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("NO_LIVE_PROGRESS", "1")
    os.environ.setdefault("AIRBYTE_LOGGING_ROOT", str(state_dir / "logs"))
    warnings.simplefilter("ignore")


def _write_error_log(state_dir: Path, text: str) -> Path:
    folder = state_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"airbyte-pipeline-error-{datetime.now():%Y%m%d-%H%M%S}.log"
    path.write_text(text, encoding="utf-8")
    return path


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
