"""``ember models``: the model registry (``ember models ls``, ``register``, ``alias``, ``show``, ``resolve``).

    ember models register ember-mnist-cnn.safetensors --name mnist-cnn --alias production
    ember models register runs:/RUN_ID/model/ember-mnist-cnn.safetensors --name mnist-cnn
    ember models ls
    ember models show mnist-cnn                  # its versions, with sha256 and aliases
    ember models alias mnist-cnn production 2    # move the alias (--delete to remove it)
    ember models resolve models:/mnist-cnn@production     # the local file, its sha256 checked
    ember serve models:/mnist-cnn@production

Every command takes ``--tracking-uri`` and ``--json``, as ``ember runs`` does.
"""
import json

from .runs import add_tracking_options, client, fail, no_database, table, when


def add_parser(sub):
    p = sub.add_parser("models", help="register model files, list registered models, set aliases",
                       description="The model registry (ember.registry): numbered versions of model files "
                                   "and aliases, addressed as models:/NAME/VERSION or models:/NAME@ALIAS.")
    commands = p.add_subparsers(dest="models_command", metavar="COMMAND")
    ls = commands.add_parser("ls", help="list registered models")
    add_tracking_options(ls)
    ls.set_defaults(func=_ls)
    show = commands.add_parser("show", help="a registered model's versions")
    show.add_argument("name", metavar="NAME")
    add_tracking_options(show)
    show.set_defaults(func=_show)
    reg = commands.add_parser("register", help="register a file or runs:/ URI as the next version of a model")
    reg.add_argument("source", metavar="PATH_OR_URI",
                     help="a model file (copied into the registry), runs:/RUN_ID/PATH or models:/...")
    reg.add_argument("--name", required=True, help="the registered model's name (created if new)")
    reg.add_argument("--alias", action="append", default=[], metavar="ALIAS",
                     help="point this alias at the new version (repeatable), e.g. production")
    add_tracking_options(reg)
    reg.set_defaults(func=_register)
    alias = commands.add_parser("alias", help="point an alias of a model at a version, or delete it")
    alias.add_argument("name", metavar="NAME")
    alias.add_argument("alias", metavar="ALIAS")
    alias.add_argument("version", metavar="VERSION", nargs="?", help="the version (omit with --delete)")
    alias.add_argument("--delete", action="store_true", help="remove the alias")
    add_tracking_options(alias)
    alias.set_defaults(func=_alias)
    resolve = commands.add_parser("resolve", help="print the local file a models:/ or runs:/ URI names")
    resolve.add_argument("uri", metavar="URI")
    add_tracking_options(resolve)
    resolve.set_defaults(func=_resolve)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])
    return p


def _version_json(v):
    return {"name": v.name, "version": v.version, "source": v.source, "run_id": v.run_id,
            "creation_timestamp": v.creation_timestamp, "sha256": v.sha256, "size": v.size,
            "aliases": list(v.aliases)}


def _guard(command, action):
    from ..registry import RegistryError
    try:
        return action()
    except RegistryError as e:
        fail(command, e)


def _ls(args):
    c = client(args, "models ls")
    if c is None:
        return no_database(args, "models ls", listing=True)
    models = _guard("models ls", c.search_registered_models)
    if args.json:
        print(json.dumps([{"name": m.name, "latest_version": m.latest_version, "aliases": m.aliases,
                           "creation_timestamp": m.creation_timestamp,
                           "last_updated_timestamp": m.last_updated_timestamp} for m in models], indent=2))
        return 0
    if not models:
        print(f"no registered models in {c.tracking_uri}")
        return 0
    print(table(["NAME", "LATEST", "ALIASES", "UPDATED"],
                [[m.name, m.latest_version or "-", " ".join(f"{a}->{v}" for a, v in m.aliases.items()) or "-",
                  when(m.last_updated_timestamp)] for m in models]))
    return 0


def _show(args):
    c = client(args, "models show")
    if c is None:
        return no_database(args, "models show", listing=False)
    versions = _guard("models show", lambda: c.search_model_versions(args.name))
    if args.json:
        print(json.dumps([_version_json(v) for v in versions], indent=2))
        return 0
    if not versions:
        print(f"registered model {args.name!r} has no versions")
        return 0
    print(table(["VERSION", "ALIASES", "CREATED", "SIZE", "SHA256", "SOURCE"],
                [[v.version, ",".join(v.aliases) or "-", when(v.creation_timestamp), v.size, v.sha256, v.source]
                 for v in versions]))
    return 0


def _register(args):
    from ..registry import register_model
    c = client(args, "models register", write=True)
    for alias in args.alias:                     # refuse a bad alias before registering anything
        from ..registry.client import check_alias
        _guard("models register", lambda: check_alias(alias))
    version = _guard("models register", lambda: register_model(args.source, args.name, tracking_uri=c.tracking_uri))
    for alias in args.alias:
        _guard("models register", lambda: c.set_registered_model_alias(args.name, alias, version.version))
    version = c.get_model_version(args.name, version.version)
    if args.json:
        print(json.dumps(_version_json(version), indent=2))
        return 0
    aliases = f" (aliases: {', '.join(version.aliases)})" if version.aliases else ""
    print(f"registered {args.source} as {version.name} version {version.version}{aliases}, sha256 {version.sha256}")
    print(f"serve it with: ember serve models:/{version.name}/{version.version}")
    return 0


def _alias(args):
    c = client(args, "models alias")
    if c is None:
        return no_database(args, "models alias", listing=False)
    if args.delete:
        if args.version is not None:
            fail("models alias", "--delete takes no VERSION")
        _guard("models alias", lambda: c.delete_registered_model_alias(args.name, args.alias))
        message = f"deleted alias {args.alias!r} of {args.name}"
    else:
        if args.version is None:
            fail("models alias", "give the VERSION the alias should point at (or --delete)")
        _guard("models alias", lambda: c.set_registered_model_alias(args.name, args.alias, args.version))
        message = f"models:/{args.name}@{args.alias} -> version {args.version}"
    if args.json:
        print(json.dumps({"name": args.name, "alias": args.alias, "version": None if args.delete else args.version}))
    else:
        print(message)
    return 0


def _resolve(args):
    c = client(args, "models resolve")
    if c is None:
        return no_database(args, "models resolve", listing=False)
    path = _guard("models resolve", lambda: c.resolve_model_uri(args.uri))
    print(json.dumps({"uri": args.uri, "path": path}) if args.json else path)
    return 0
