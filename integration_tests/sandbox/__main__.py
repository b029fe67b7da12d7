"""`python -m sandbox`: start every emulator on its fixed loopback port until interrupted.

Options: --size small|medium|large or a number (data scale), --seed N, --only pluggy,plecto.
Each emulator prints its base URL and the sandbox credentials a connector config needs.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from sandbox import EMULATORS, available, emulator_class


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", default="")
    parser.add_argument("--port-offset", type=int, default=0)
    args = parser.parse_args(argv)
    size = int(args.size) if args.size.isdigit() else args.size  # a name (small, medium, large) or a scale
    wanted = [n for n in available() if not args.only or n in args.only.split(",")]
    running = []
    for name in wanted:
        emulator = emulator_class(name)(size=size, seed=args.seed)
        emulator.start(port=EMULATORS[name][1] + args.port_offset)
        running.append(emulator)
        print(json.dumps({"emulator": name, "url": emulator.url, "config": emulator.connector_config()}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    for emulator in running:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
