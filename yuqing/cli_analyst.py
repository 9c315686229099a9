"""The analyst loop's commands: label posts, import and export labels, train a candidate model,
compare it with the model in use, classify text, and promote or roll back models."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from yuqing.app import App
from yuqing.cli_common import UsageError, command, emit_json, out

PROMOTE_HINT = "put it in use with `yuqing model promote {}`, then `yuqing triage --since 7d`"


def analyst_name(args: argparse.Namespace) -> str:
    return args.analyst or getpass.getuser()


def load_data_files(paths: Sequence[str], label_map: str | None) -> list[Any]:
    from yuqing.models.corpus import load_file, parse_label_map

    mapping = parse_label_map(label_map) if label_map else None
    examples: list[Any] = []
    for path in paths:
        if not Path(path).is_file():
            raise UsageError(f"file not found: {path}")
        examples += load_file(Path(path), mapping)
    return examples


def own_examples(app: App) -> tuple[list[Any], list[Any]]:
    """The seed corpus, and the analysts' labels when there is a store to read them from."""
    from yuqing.models.corpus import load_seed
    from yuqing.storage.errors import StorageError
    from yuqing.storage.labels import training_examples

    try:
        app.ready()
        with app.sessions() as session:
            analyst = training_examples(session)
    except StorageError:
        analyst = []
    return load_seed(), analyst


def resolve_version(models_dir: Path, name: str) -> str:
    """A version, or the newest version saved with ``--name NAME``."""
    from yuqing.models import registry
    from yuqing.models.errors import ModelNotFound

    versions = [row["version"] for row in registry.list_versions(models_dir)]
    if name in versions:
        return name
    named = [v for v in versions if v.endswith(f"-{name}")]
    if not named:
        raise ModelNotFound(f"no model version or name {name!r}; see `yuqing model list`")
    return max(named)


def cmd_train(app: App, args: argparse.Namespace) -> int:
    from yuqing.models import registry
    from yuqing.models.classifier import train
    from yuqing.models.corpus import split_held_out
    from yuqing.models.evaluate import evaluate

    examples: list[Any] = []
    held_out: list[Any] = []
    if not args.no_seed:
        seed, analyst = own_examples(app)
        # The seed's held-out share never trains, so that `yuqing evaluate` compares versions on
        # posts none has seen. Analysts' corrections always train: that is what they are for.
        training, held_out = split_held_out(seed)
        examples += [*training, *analyst]
        out(
            f"seed corpus: {len(training)} posts to train on, {len(held_out)} held out; "
            f"analysts' labels: {len(analyst)} posts"
        )
    data = load_data_files(args.data, args.label_map)
    examples += data
    if not examples:
        raise UsageError("nothing to train on: --no-seed needs at least one --data FILE")
    classifier = train(examples)
    # The held-out seed posts score every version alike; `yuqing model list` shows the figure.
    metrics = evaluate(classifier, held_out).as_dict() if not args.no_seed else None
    models_dir = app.settings.models_dir
    first = registry.current_version(models_dir) is None
    version = registry.save(
        classifier,
        models_dir,
        now=app.clock(),
        name=args.name,
        make_current=first,
        metrics=metrics,
    )
    out(f"trained model {version} on {len(examples)} examples")
    if first:
        out("no model was in use: this one is now")
    else:
        out(f"it is a candidate: compare it with `yuqing evaluate`; {PROMOTE_HINT.format(version)}")
    return 0


def cmd_evaluate(app: App, args: argparse.Namespace) -> int:
    from yuqing.models import registry
    from yuqing.models.compare import assess, format_comparison, plot_pr_curves
    from yuqing.models.corpus import split_held_out
    from yuqing.models.errors import ModelNotFound
    from yuqing.models.promotion import candidates

    models_dir = app.settings.models_dir
    if args.data:
        examples = load_data_files(args.data, args.label_map)
        described = ", ".join(args.data)
    else:
        examples = split_held_out(own_examples(app)[0])[1]
        described = "the held-out share of the seed corpus"
    if not examples:
        raise UsageError("no posts to evaluate on")
    in_use = registry.current_version(models_dir)
    if args.model:
        primary = resolve_version(models_dir, args.model)
    else:
        waiting = candidates(models_dir)
        primary = waiting[-1] if waiting else in_use
    if primary is None:
        raise ModelNotFound("no model yet: run `yuqing init` or `yuqing train`")
    baseline = in_use if in_use and in_use != primary and not args.alone else None
    results = [
        assess(registry.load(models_dir, v)[0], v, examples) for v in (primary, baseline) if v
    ]
    plot = Path(args.plot) if args.plot else app.settings.home / "reports" / f"pr-{primary}.png"
    plot_pr_curves(results, examples, plot)
    first, *rest = results
    if args.json:
        document: dict[str, Any] = {
            "model": primary,
            **first.report.as_dict(),
            "pr_curves": str(plot),
        }
        if rest:
            document["compared_with"] = {"model": rest[0].version, **rest[0].report.as_dict()}
        emit_json(document)
        return 0
    out(f"{len(examples)} posts: {described}")
    out(format_comparison(first, rest[0] if rest else None))
    out(f"precision–recall curves: {plot}")
    if rest and primary != in_use:
        out(PROMOTE_HINT.format(primary))
    return 0


def cmd_classify(app: App, args: argparse.Namespace) -> int:
    from yuqing.models import registry
    from yuqing.models.classify_io import classify_lines

    version = resolve_version(app.settings.models_dir, args.model) if args.model else None
    classifier, _ = registry.load(app.settings.models_dir, version)
    failed = 0
    for result in classify_lines(classifier, sys.stdin):
        failed += "error" in result
        print(json.dumps(result, ensure_ascii=False), flush=False)
    return 1 if failed else 0


def cmd_label(app: App, args: argparse.Namespace) -> int:
    from yuqing.storage.db import transaction
    from yuqing.storage.labels import add_labels, history, ordered, remove_labels

    app.ready()
    with transaction(app.sessions) as session:
        if not args.labels:
            rows = history(session, args.post_id)
            if not rows:
                out(f"post {args.post_id} has no analyst labels")
            for row in rows:
                when = row.at.astimezone(app.tz).isoformat(timespec="seconds")
                out(f"{when}  {row.analyst}  {row.action} {row.label}  {row.note or ''}".rstrip())
            return 0
        change = (remove_labels if args.remove else add_labels)(
            session, args.post_id, args.labels, analyst_name(args), app.clock(), note=args.note
        )
    labels = ", ".join(ordered(change.labels)) or "(none set)"
    out(f"post {args.post_id}: {labels}")
    return 0


def cmd_labels_import(app: App, args: argparse.Namespace) -> int:
    from yuqing.models.corpus import parse_label_map
    from yuqing.storage.db import transaction
    from yuqing.storage.labels import import_file

    app.ready()
    if not Path(args.file).is_file():
        raise UsageError(f"file not found: {args.file}")
    mapping = parse_label_map(args.label_map) if args.label_map else None
    with transaction(app.sessions) as session:
        report = import_file(session, args.file, analyst_name(args), app.clock(), label_map=mapping)
    if report.skipped:
        print(report.format_skipped(), file=sys.stderr)
    out(
        f"{args.file}: {report.changed} posts relabelled, {report.unchanged} unchanged, "
        f"{len(report.skipped)} rows skipped"
    )
    return 0


def cmd_labels_export(app: App, args: argparse.Namespace) -> int:
    from yuqing.storage.labels import export_rows, write_csv, write_jsonl

    app.ready()
    with app.sessions() as session:
        rows = export_rows(session)
    write = write_csv if (args.output or "").endswith(".csv") else write_jsonl
    if args.output in (None, "-"):
        write(rows, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as handle:
            write(rows, handle)
        out(f"wrote {len(rows)} labelled posts to {args.output}")
    return 0


def cmd_model_list(app: App, args: argparse.Namespace) -> int:
    from yuqing.models.promotion import models_table

    rows = models_table(app.settings.models_dir)
    if args.json:
        emit_json([row.as_dict() for row in rows])
        return 0
    if not rows:
        out("no models yet: run `yuqing init` or `yuqing train`")
    for row in rows:
        mark = "* in use " if row.in_use else ("candidate" if row.candidate else "         ")
        f1 = f"macro-F1 {row.macro_f1:.3f}" if row.macro_f1 is not None else ""
        size = f"{row.corpus_size} posts" if row.corpus_size else ""
        out(f"{mark}  {row.version:<32} {size:>12}  {f1}  {row.error or ''}".rstrip())
    return 0


def cmd_model_promote(app: App, args: argparse.Namespace) -> int:
    from yuqing.models.promotion import promote

    version = resolve_version(app.settings.models_dir, args.version)
    switch = promote(app.settings.models_dir, version, app.clock())
    out(f"model {switch.version} is in use (was {switch.previous or 'none'})")
    out("re-triage recent posts with it: `yuqing triage --since 7d`")
    return 0


def cmd_model_rollback(app: App, args: argparse.Namespace) -> int:
    from yuqing.models.promotion import rollback

    switch = rollback(app.settings.models_dir, app.clock())
    out(f"model {switch.version} is in use again (was {switch.previous})")
    return 0


def add_analyst_commands(sub: Any) -> None:
    p = command(
        sub,
        "train",
        cmd_train,
        "train a candidate model on the seed corpus, analysts' labels and data files",
        "yuqing train --data labels.jsonl --label-map fake=rumour,real=none",
    )
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FILE",
        help="labelled posts, JSONL or CSV (repeatable)",
    )
    p.add_argument("--label-map", metavar="MAP", help="rename labels, e.g. fake=rumour,real=none")
    p.add_argument(
        "--no-seed",
        action="store_true",
        help="train on the --data files alone (no seed corpus, no analyst labels)",
    )
    p.add_argument("--name", help="a suffix for the version name")

    p = command(
        sub,
        "evaluate",
        cmd_evaluate,
        "compare the candidate with the model in use on the same held-out posts",
        "yuqing evaluate --data val.jsonl --label-map fake=rumour,real=none --json",
    )
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FILE",
        help="labelled posts (default: the held-out share of the seed and analyst labels)",
    )
    p.add_argument("--label-map", metavar="MAP")
    p.add_argument(
        "--model",
        metavar="NAME",
        help="version or --name to evaluate (default: the newest candidate, else the model in use)",
    )
    p.add_argument("--alone", action="store_true", help="do not compare with the model in use")
    p.add_argument("--plot", metavar="FILE.png", help="where to draw the precision–recall curves")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = command(
        sub,
        "classify",
        cmd_classify,
        "classify posts read from stdin, one a line (text or JSON with `text`)",
        "yuqing classify < posts.jsonl",
    )
    p.add_argument("--model", metavar="NAME", help="version or --name (default: the model in use)")

    p = command(
        sub,
        "label",
        cmd_label,
        "set or remove an analyst's labels on a post (no labels: show its history)",
        "yuqing label 1042 rumour emergency --note 已核实为谣言",
    )
    p.add_argument("post_id", type=int, metavar="POST_ID")
    p.add_argument("labels", nargs="*", metavar="LABEL")
    p.add_argument("--remove", action="store_true", help="remove these labels")
    p.add_argument("--note", help="why")
    p.add_argument("--analyst", help="who (default: the login name)")

    labels = command(
        sub,
        "labels",
        cmd_labels_export,
        "import or export analysts' labels",
        "yuqing labels export labels.csv",
    )
    labels_sub = labels.add_subparsers(dest="labels_command", metavar="ACTION", required=True)
    p = command(
        labels_sub,
        "import",
        cmd_labels_import,
        "import labels from JSONL or CSV (post_id or url, labels)",
        "yuqing labels import corrections.csv --label-map fake=rumour,real=none",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--label-map", metavar="MAP")
    p.add_argument("--analyst", help="who (default: the login name)")
    p = command(
        labels_sub,
        "export",
        cmd_labels_export,
        "export every labelled post (JSONL, or CSV for a .csv file)",
        "yuqing labels export labels.jsonl",
    )
    p.add_argument("output", nargs="?", metavar="FILE", help="default: standard output")

    model = command(
        sub,
        "model",
        cmd_model_list,
        "list, promote or roll back model versions",
        "yuqing model list",
    )
    model_sub = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    p = command(
        model_sub,
        "list",
        cmd_model_list,
        "every version, the one in use marked",
        "yuqing model list --json",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command(
        model_sub,
        "promote",
        cmd_model_promote,
        "put a version in use",
        "yuqing model promote 20261127-101500-weibo",
    )
    p.add_argument("version", metavar="VERSION")
    command(
        model_sub,
        "rollback",
        cmd_model_rollback,
        "put the previous version back in use",
        "yuqing model rollback",
    )
