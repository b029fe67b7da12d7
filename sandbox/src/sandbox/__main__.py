"""`python -m sandbox` (or `vendor-sandbox`): every emulator on loopback until interrupted, and a folder of ready
config files for the ports it took.

Ports: the fixed ones (pluggy 18701, plutio 18702, protime 18703, plecto 18704), which the repository's example
files name. When one of them is in use (another sandbox, another user), every emulator takes a free port instead
and says so; `--free-ports` always does, `--port-offset N` takes the fixed ports plus N or fails.

Config files: the first line names the folder (default .cache/sandbox/, relative to where it starts): each
connector's example config as `<connector>.json` and each file of pipeline/examples/, with this sandbox's URLs.
Then one JSON line per emulator: its name, URL, config file and config.

Options: --size small|medium|large or a number (data scale), --seed N, --only pluggy,plecto.
"""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
import threading
from pathlib import Path

from sandbox import EMULATORS, available, emulator_class
from sandbox.config_folder import ConfigFolder, FolderInUse

DEFAULT_FOLDER = Path(".cache") / "sandbox"


class PortInUse(Exception):
    def __init__(self, name: str, port: int) -> None:
        super().__init__(f"port {port} ({name}) is already in use")
        self.name, self.port = name, port


def start_emulators(names: list[str], ports: dict[str, int], size: object, seed: int, stop: threading.Event) -> list:
    """Start each emulator on its port (0: a free one); PortInUse (after stopping those started) if one is taken."""
    running = []
    try:
        for name in names:
            if stop.is_set():
                break
            emulator = emulator_class(name)(size=size, seed=seed)
            try:
                emulator.start(port=ports[name])
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                raise PortInUse(name, ports[name]) from None
            running.append(emulator)
    except BaseException:
        for emulator in running:
            emulator.stop()
        raise
    return running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="small", help="small, medium, large, or a number (Pluggy: transactions per account)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", default="", help="comma-separated emulators, e.g. pluggy,plecto")
    ports = parser.add_mutually_exclusive_group()
    ports.add_argument("--port-offset", type=int, help="exactly the fixed ports plus N (fails if one is in use)")
    ports.add_argument("--free-ports", action="store_true", help="free ports chosen by the system")
    parser.add_argument("--config-dir", type=Path, default=DEFAULT_FOLDER,
                        help=f"where the ready config files go (default {DEFAULT_FOLDER}/); emptied at each start")
    args = parser.parse_args(argv)
    size = int(args.size) if args.size.isdigit() else args.size
    wanted = [n for n in available() if not args.only or n in args.only.split(",")]
    unknown = sorted(set(filter(None, args.only.split(","))) - set(wanted))
    if unknown:
        parser.error(f"unknown emulator(s) {', '.join(unknown)}; choose from {', '.join(available())}")
    # Ctrl-C and SIGTERM set the event, from the start (a Ctrl-C right after the configs are printed still stops
    # cleanly). The wait wakes twice a second: a signal the kernel hands to a server thread does not interrupt a
    # wait without a timeout, and Python runs handlers only on the main thread.
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    try:
        folder = ConfigFolder(args.config_dir).claim()
    except FolderInUse as error:
        print(f"sandbox: {error}.", file=sys.stderr)
        return 2
    running = []
    try:
        offset = args.port_offset or 0
        fixed = {name: EMULATORS[name][1] + offset for name in wanted}
        note = ""
        try:
            running = start_emulators(wanted, {n: 0 for n in wanted} if args.free_ports else fixed, size, args.seed, stop)
        except PortInUse as taken:
            if args.port_offset is not None:
                print(f"sandbox: {taken}: stop what listens there, or start the sandbox with another --port-offset, "
                      "or with --free-ports.", file=sys.stderr)
                return 2
            note = (f"sandbox: {taken} (another sandbox?), so every emulator took a free port: use the files "
                    f"in {folder.path}/")
            running = start_emulators(wanted, {n: 0 for n in wanted}, size, args.seed, stop)
        urls = {emulator.name: emulator.url for emulator in running}
        configs = folder.write(urls)
        names = ", ".join(path.name for path in folder.written)
        print(f"sandbox: config files for these ports in {folder.path}/ ({names}); Ctrl-C stops", flush=True)
        if note:
            print(note, flush=True)
        for emulator in running:
            config_file, config = configs.get(emulator.name, (None, emulator.connector_config()))
            print(json.dumps({"emulator": emulator.name, "url": emulator.url,
                              "config_file": str(config_file) if config_file else None, "config": config}), flush=True)
        while not stop.wait(timeout=0.5):
            pass
    finally:
        for emulator in running:
            emulator.stop()
        folder.release()
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
