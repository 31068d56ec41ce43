"""The developer commands of ``tw``: sample feeds, the demo, and the files generated from declarations.

Registered under the ``tw.commands`` entry point (pyproject.toml), so ``tw demo``, ``tw docs`` … work in a
checkout of the repository while orchestration/cli.py, a runtime module, never imports devtools. Each
command imports what it needs when it runs (``tw --help`` stays fast).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from core.settings import DBT_PROJECT_DIR, load_settings


def _demo(args: argparse.Namespace) -> int:
    from devtools.sample import generate
    from orchestration.cli import refresh

    settings = dataclasses.replace(load_settings(), demo=True)
    if not any(settings.inbox_dir.glob("*/**/*.*")):
        started = time.monotonic()
        written = generate(settings.inbox_dir, args.scale)
        print(
            f"generated {args.scale} sample feeds into {settings.inbox_dir} "
            f"({sum(map(len, written.values()))} files, {time.monotonic() - started:.1f}s)"
        )
    return refresh(settings, verbose=args.verbose)


def _generate(args: argparse.Namespace) -> int:
    from devtools.sample import generate

    written = generate(args.out, args.scale, seed=args.seed)
    print(json.dumps({k: [str(p) for p in v] for k, v in written.items()}, ensure_ascii=False, indent=2))
    return 0


def _reference(args: argparse.Namespace) -> int:
    from devtools.reference_seeds import write_seeds

    print(write_seeds(args.dir, DBT_PROJECT_DIR / "seeds" / "reference"))
    return 0


def _catalogue(args: argparse.Namespace) -> int:
    from devtools.catalogue import SEED, write_catalogue_seed

    written, refused = write_catalogue_seed(args.file)
    for row, reason in refused.iter_rows():
        print(f"{args.file.name} row {row}: {reason}", file=sys.stderr)
    print(f"{written} majors written to {SEED}; {refused.height} rows refused")
    return 0 if refused.height == 0 else 1


def _docs(args: argparse.Namespace) -> int:
    from devtools.analyst_docs import write_all

    for p in write_all():
        print(p)
    return 0


def _contracts(args: argparse.Namespace) -> int:
    from devtools.contract_docs import write_all

    for p in write_all():
        print(p)
    return 0


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Adds the developer commands to ``tw``'s subcommands (orchestration/cli.py calls it)."""
    demo = sub.add_parser("demo", help="sample feeds + refresh (TW_DEMO on: the public demo key)")
    demo.add_argument("--scale", default="demo", choices=["small", "demo"])
    demo.add_argument("--verbose", action="store_true", help="print every event and dbt's output")
    demo.set_defaults(handler=_demo)
    gen = sub.add_parser("generate", help="write sample feeds")
    gen.add_argument("--scale", default="small", choices=["small", "demo"])
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=20261124)
    gen.set_defaults(handler=_generate)
    ref = sub.add_parser("reference", help="regenerate reference seeds from raw copies")
    ref.add_argument("dir", type=Path, help="folder of raw reference copies, e.g. reference/raw")
    ref.set_defaults(handler=_reference)
    sub.add_parser("contracts", help="regenerate contract-derived files").set_defaults(handler=_contracts)
    sub.add_parser("docs", help="regenerate docs/analysts.md and the README's example queries").set_defaults(
        handler=_docs
    )
    cat = sub.add_parser("catalogue", help="load the official major catalogue from a file into the seed")
    cat.add_argument("file", type=Path)
    cat.set_defaults(handler=_catalogue)
