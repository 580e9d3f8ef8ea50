"""The bundle's one executable: `symbiote …` exactly as from source (app.cli.main), plus
`symbiote smoke` (the bundle's self-test, installers/symbiote_smoke.py).

PyInstaller freezes this file; it also runs unfrozen (`.venv/bin/python installers/
symbiote_entry.py smoke`), which is how installers/measure.py times the from-source baseline.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

# The desktop bundle leaves out the trainer's stack (torch, transformers, peft) and the
# benchmark's charts (matplotlib): these research commands would fail deep inside an import, so
# they get one clear line instead.
SOURCE_ONLY = {"train": "the trainer (torch, transformers, peft)",
               "cycle": "the trainer (torch, transformers, peft)",
               "bench": "the benchmark's reports (matplotlib)"}


def _command(args: list[str]) -> str | None:
    return next((a for a in args if not a.startswith("-")), None)


def main() -> int:
    multiprocessing.freeze_support()  # a frozen child process must not rerun the CLI
    # Nothing may reach a model hub from the bundle (the KB model ships inside it).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = sys.argv[1:]
    command = _command(args)
    if command == "smoke":
        from symbiote_smoke import main as smoke_main

        return smoke_main(args[args.index("smoke") + 1:])
    if command in SOURCE_ONLY and getattr(sys, "frozen", False):
        print(f"symbiote: error: `symbiote {command}` needs {SOURCE_ONLY[command]}, which the "
              "desktop bundle leaves out; run it from a source checkout (`make setup`, then "
              f"`.venv/bin/symbiote {command}`)", file=sys.stderr)
        return 2
    from app.cli.main import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
