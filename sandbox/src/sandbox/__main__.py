"""`python -m sandbox` (or `vendor-sandbox`): every emulator on its fixed loopback port until interrupted.

Options: --size small|medium|large or a number (data scale), --seed N, --only pluggy,plecto, --port-offset N.
Each emulator prints its base URL and the sandbox config a connector needs.
"""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
import threading

from sandbox import EMULATORS, available, emulator_class


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    parser.add_argument("--size", default="small", help="small, medium, large, or a number (Pluggy: transactions per account)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", default="", help="comma-separated emulators, e.g. pluggy,plecto")
    parser.add_argument("--port-offset", type=int, default=0, help="added to every fixed port (18701-18704, 18706)")
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
    running = []
    try:
        for name in wanted:
            if stop.is_set():
                break
            port = EMULATORS[name][1] + args.port_offset
            emulator = emulator_class(name)(size=size, seed=args.seed)
            try:
                emulator.start(port=port)
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                print(f"sandbox: port {port} ({name}) is already in use: stop what listens there, or start the "
                      f"sandbox with --port-offset N (e.g. --port-offset 100).", file=sys.stderr)
                return 2
            running.append(emulator)
            print(json.dumps({"emulator": name, "url": emulator.url, "config": emulator.connector_config()}),
                  flush=True)
        while not stop.wait(timeout=0.5):
            pass
    finally:
        for emulator in running:
            emulator.stop()
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
