"""``ember runs``: the runs in the tracking database (``ember runs ls``, ``ember runs show RUN_ID``).

    ember runs ls                                   # newest first
    ember runs ls --experiment mnist --status FINISHED
    ember runs ls --filter "metrics.val_accuracy > 0.9"
    ember runs show 3f2a                            # a unique prefix of the run id is enough

Every command takes ``--tracking-uri`` (default: ``EMBER_TRACKING_URI``, else
``sqlite:///ember-runs.db`` in the working directory) and ``--json`` for machine-readable output.
"""
import datetime
import json


def add_tracking_options(p):
    p.add_argument("--tracking-uri", default=None, metavar="URI",
                   help="the tracking database: sqlite:///PATH or a path (default: $EMBER_TRACKING_URI, else "
                        "sqlite:///ember-runs.db in the working directory)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def add_parser(sub):
    p = sub.add_parser("runs", help="list and inspect tracked training runs",
                       description="List and inspect the runs in the tracking database (ember.registry).")
    commands = p.add_subparsers(dest="runs_command", metavar="COMMAND")
    ls = commands.add_parser("ls", help="list runs, newest first")
    ls.add_argument("--experiment", default=None, metavar="NAME", help="only the runs of this experiment")
    ls.add_argument("--status", default=None, choices=["RUNNING", "FINISHED", "FAILED", "KILLED"],
                    help="only runs with this status")
    ls.add_argument("--filter", default="", metavar="EXPR",
                    help="an MLflow search filter, e.g. \"metrics.val_accuracy > 0.9 and params.lr = '0.002'\"")
    ls.add_argument("--max-results", type=int, default=100, metavar="N", help="at most N runs (default: %(default)s)")
    add_tracking_options(ls)
    ls.set_defaults(func=_ls)
    show = commands.add_parser("show", help="a run's params, latest metrics, tags and artifacts")
    show.add_argument("run_id", metavar="RUN_ID", help="the run id, or a unique prefix of it")
    add_tracking_options(show)
    show.set_defaults(func=_show)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])
    return p


def fail(command, error):
    raise SystemExit(f"ember {command}: error: {error}")


def client(args, command, write=False):
    """The registry client of ``--tracking-uri``; a read-only command (``write=False``) does not
    create a database that is not there (None is returned)."""
    from ..registry import Client, RegistryError
    try:
        c = Client(args.tracking_uri)
    except RegistryError as e:
        fail(command, e)
    if not write and not c.exists():
        return None
    return c


def no_database(args, command, listing):
    """What a read-only command says when the database does not exist (an empty list for ``ls``)."""
    from ..registry import Client
    c = Client(args.tracking_uri)
    if listing:
        print("[]" if args.json else f"no tracking database at {c.db_path} (tracking URI {c.tracking_uri})")
        return 0
    fail(command, f"no tracking database at {c.db_path} (tracking URI {c.tracking_uri}); pass --tracking-uri "
                  f"or set EMBER_TRACKING_URI")


def when(ms):
    """A millisecond timestamp as local 'YYYY-MM-DD HH:MM:SS' ('-' for none)."""
    if ms is None:
        return "-"
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def table(header, rows):
    """Columns padded to their widest cell, as ``docker ps`` prints."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in [header] + rows]
    return "\n".join(lines)


def _duration(info):
    if info.end_time is None:
        return "-"
    seconds = (info.end_time - info.start_time) / 1000
    return f"{seconds:.1f}s" if seconds < 60 else f"{seconds / 60:.1f}min"


def _ls(args):
    from ..registry import RegistryError
    c = client(args, "runs ls")
    if c is None:
        return no_database(args, "runs ls", listing=True)
    clauses = [args.filter] if args.filter.strip() else []
    if args.status:
        clauses.append(f"attributes.status = '{args.status}'")
    try:
        experiments = {e.experiment_id: e.name for e in c.search_experiments()}
        ids = None
        if args.experiment is not None:
            found = c.get_experiment_by_name(args.experiment)
            if found is None:
                fail("runs ls", f"no experiment named {args.experiment!r} (experiments: "
                                f"{', '.join(sorted(experiments.values()))})")
            ids = [found.experiment_id]
        runs = c.search_runs(ids, " and ".join(clauses), max_results=args.max_results)
    except RegistryError as e:
        fail("runs ls", e)
    if args.json:
        print(json.dumps([_run_json(r) for r in runs], indent=2))
        return 0
    if not runs:
        print(f"no runs in {c.tracking_uri}")
        return 0
    print(table(["RUN ID", "NAME", "EXPERIMENT", "STATUS", "STARTED", "DURATION", "METRICS"],
                [[r.info.run_id, r.info.run_name, experiments.get(r.info.experiment_id, r.info.experiment_id),
                  r.info.status, when(r.info.start_time), _duration(r.info),
                  " ".join(f"{k}={v:.4g}" for k, v in sorted(r.data.metrics.items()))] for r in runs]))
    return 0


def _run_json(run, artifacts=None):
    info = run.info
    out = {"run_id": info.run_id, "run_name": info.run_name, "experiment_id": info.experiment_id,
           "status": info.status, "start_time": info.start_time, "end_time": info.end_time,
           "artifact_uri": info.artifact_uri, "params": run.data.params, "metrics": run.data.metrics,
           "tags": run.data.tags}
    if artifacts is not None:
        out["artifacts"] = [{"path": a.path, "size": a.file_size, "sha256": a.sha256} for a in artifacts]
    return out


def find_run(c, run_id, command):
    """The run ``run_id`` names, which may be a unique prefix of the id."""
    from ..registry import NotFoundError, RegistryError
    try:
        return c.get_run(run_id)
    except NotFoundError:
        pass
    except RegistryError as e:
        fail(command, e)
    if not run_id.isalnum():
        fail(command, f"no run with id {run_id!r} in {c.tracking_uri}")
    matches = c.search_runs(filter_string=f"attributes.run_id LIKE '{run_id}%'", max_results=2)
    if len(matches) != 1:
        what = "no run" if not matches else "more than one run"
        fail(command, f"{what} with an id starting {run_id!r} in {c.tracking_uri}")
    return matches[0]


def _show(args):
    c = client(args, "runs show")
    if c is None:
        return no_database(args, "runs show", listing=False)
    run = find_run(c, args.run_id, "runs show")
    artifacts = c.list_artifacts(run.info.run_id)
    if args.json:
        print(json.dumps(_run_json(run, artifacts), indent=2))
        return 0
    info = run.info
    experiment = c.get_experiment(info.experiment_id).name
    print(f"run {info.run_id} ({info.run_name}) in experiment {experiment!r}: {info.status}")
    print(f"started {when(info.start_time)}, ended {when(info.end_time)}, duration {_duration(info)}")
    print(f"artifacts in {info.artifact_uri}")
    sections = [("params", run.data.params), ("metrics (latest)", run.data.metrics), ("tags", run.data.tags)]
    for title, values in sections:
        print(f"\n{title}:")
        print(table(["KEY", "VALUE"], sorted(values.items())) if values else "  (none)")
    print("\nartifacts:")
    print(table(["PATH", "SIZE", "SHA256"], [[a.path, a.file_size, a.sha256] for a in artifacts])
          if artifacts else "  (none)")
    return 0
