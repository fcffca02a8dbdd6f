"""Write the example organisation's snapshot (the employee-telemetry incident).

    python examples/telemetry-incident/build.py [--output FILE]

The organisation itself is defined in ``seenby/demo/example_org.py`` so that the demo and
the tests use the very same documents.  Deterministic: re-running writes the same file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from seenby.demo.example_org import build
from seenby.snapshot import save_snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the example organisation's snapshot.")
    parser.add_argument("--output", default=str(Path(__file__).with_name("snapshot.json")))
    args = parser.parse_args()
    save_snapshot(build(), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
