"""The command line: `devface-run` and the `devface` group (run, pretrain, plugins, seed, db, watch, worker).

The only module that imports click. Library errors become one line on stderr and an exit code here:
usage/config 2, no images 3, adapter/IO 4, bad image data 5, anything unexpected 1.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter is not for users

import attrs  # noqa: E402
import click  # noqa: E402

from devface_adapters.quiet import native_stderr_silenced  # noqa: E402
from devface_adapters.registry import get_registry, parse_options  # noqa: E402
from devface_core import Config, DevfaceError, RunReport, load_config, run_pipeline  # noqa: E402
from devface_core.pipeline import run_pretraining  # noqa: E402
from devface_core.errors import ConfigError, InvalidImageError  # noqa: E402
from devface_core.imaging import decode_image, image_bytes  # noqa: E402

logger = logging.getLogger("devface")


class AdapterSpec(click.ParamType):
    """A spec string (`memory`, `dir:PATH`, `s3://bucket/prefix`) whose adapter name must be registered."""

    name = "spec"

    def convert(self, value, param, ctx):
        try:
            get_registry()._lookup(value)
        except DevfaceError as exc:
            self.fail(str(exc), param, ctx)
        return value


SPEC = AdapterSpec()


def reports_errors(command):
    """Turn DevfaceError (and any crash) into one stderr line and the class's exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DevfaceError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as exc:  # the CLI promises one line, never a traceback
            logger.debug("unexpected error", exc_info=True)
            _fail(f"internal error: {type(exc).__name__}: {exc} (run with -v for details)", 1)

    return wrapper


def _fail(message: str, code: int):
    click.echo(f"devface: error: {message}", err=True)
    sys.exit(code)


class _CurrentStderr(logging.StreamHandler):
    """A handler that writes to whatever sys.stderr is at the time of each record."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _configure_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    handler = _CurrentStderr()
    handler.setLevel(level)  # libraries that set their own logger levels (werkzeug, botocore) stay quiet
    handler.setFormatter(logging.Formatter("devface: %(levelname)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("tensorflow").setLevel(max(level, logging.WARNING))  # its INFO is checkpoint chatter


def resolve(spec: str, option_pairs, role: str):
    """The adapter for a spec string and its `key=value` options, checked for a role."""
    return get_registry().resolve(spec, parse_options(option_pairs), role=role)


def _apply(options, command):
    return functools.reduce(lambda cmd, option: option(cmd), reversed(options), command)


def training_options(command):
    """The settings options shared by `run` and `pretrain`."""
    options = [
        click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML or YAML settings."),
        click.option("--epochs", type=int, help="Passes over the user's images."),
        click.option("--max-steps", type=int, help="Stop training after this many steps (0: no limit)."),
        click.option("--max-seconds", type=float, help="Stop training after the epoch that passes this time."),
        click.option("--batch-size", type=int),
        click.option("--z-dim", type=int, help="Size of the generator's noise vector."),
        click.option("--image-size", type=int, help="Training resolution (multiple of 4)."),
        click.option("--sample-every", type=int, help="Epochs between snapshots."),
        click.option("--seed", type=int, help="Random seed (same seed, same face on CPU)."),
        click.option("--fit", type=click.Choice(["crop", "pad", "stretch"]), help="How images become square."),
        click.option("--architecture", type=click.Choice(["seed", "fast"]), help="GAN architecture."),
        click.option("--augment", help="DiffAugment policy: color,translation,cutout ('none': off)."),
        click.option("--ada-target", type=float,
                     help="Adaptive augmentation: target E[sign D(real)], e.g. 0.6 (0: fixed strength)."),
        click.option("--mirror/--no-mirror", default=None, help="Random left-right flips of the liked images."),
        click.option("--minibatch-stddev/--no-minibatch-stddev", default=None,
                     help="Show the fast discriminator each batch's spread (ProGAN), against alike samples "
                          "(default: on for a base, a fine-tune as its base, off from scratch)."),
        click.option("--ema", type=float, help="Generator weight average decay, e.g. 0.999 (0: off)."),
        click.option("--r1-gamma", type=float, help="R1 penalty weight on D's gradient at the likes (0: off)."),
        click.option("--init-from", type=click.Path(file_okay=False), help="Fine-tune from a base model folder."),
        click.option("--finetune-lr-scale", type=float,
                     help="Learning rates are multiplied by this when fine-tuning from a base (default 0.25)."),
        click.option("--finetune-steps", type=int,
                     help="Fine-tuning from a base stops after this many steps (default 500; 0: max-steps alone)."),
        click.option("--upsample", type=click.Choice(["nearest", "bilinear"]),
                     help="How the fast generator doubles its side (bilinear: no 2-pixel grid)."),
        click.option("--grow-from", type=int, help="Progressive growing: start at this side (0: full size)."),
        click.option("--strategy", type=click.Choice(["default", "mirrored"]),
                     help="mirrored: split each batch over every GPU (tf.distribute.MirroredStrategy)."),
        click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout."),
        click.option("-v", "--verbose", count=True, help="More logging (-vv for debug)."),
    ]
    return _apply(options, command)


def run_options(command):
    """The options of `devface-run` / `devface run`."""
    options = [
        click.option("--source", required=True, type=SPEC, help="Where liked images come from (spec string)."),
        click.option("--sink", required=True, type=SPEC, help="Where the face goes (spec string)."),
        click.option("--user", "user_id", required=True, help="The user whose likes to train on."),
        click.option("--source-opt", multiple=True, metavar="KEY=VALUE", help="Option for the source."),
        click.option("--sink-opt", multiple=True, metavar="KEY=VALUE", help="Option for the sink."),
        click.option("--select", type=click.Choice(["latest", "best"]), help="Which snapshot to publish."),
        click.option("--save-generator", type=click.Path(dir_okay=False), help="Save the generator (.keras)."),
        click.option("--contact-sheets", type=click.Path(file_okay=False),
                     help="Write a PNG grid of every snapshot's samples here (<user>.png)."),
        click.option("--checkpoint-dir", type=click.Path(file_okay=False),
                     help="Keep training checkpoints here (a folder per user)."),
        click.option("--checkpoint-every", type=int, help="Epochs between checkpoints."),
        click.option("--resume", is_flag=True, default=None,
                     help="Continue from the user's last checkpoint (needs --checkpoint-dir)."),
    ]
    return _apply(options, training_options(command))


@click.command(name="run")
@run_options
@reports_errors
def run_command(source, sink, user_id, source_opt, sink_opt, config_file, as_json, verbose, **settings):
    """Train a GAN on a user's liked faces and publish the generated face."""
    _configure_logging(verbose)
    config = load_config(config_file, overrides=settings)
    image_source = resolve(source, source_opt, "source")
    image_sink = resolve(sink, sink_opt, "sink")
    show_bar = sys.stderr.isatty() and not as_json
    with native_stderr_silenced(enabled=verbose < 2), _progress_bar(config, show_bar) as progress:
        report = run_pipeline(image_source, image_sink, user_id, config, progress=progress)
    _print_report(report, as_json)


class _progress_bar:
    """A click progress bar over steps (or epochs without a step limit) with losses and ETA on a terminal."""

    def __init__(self, config: Config, enabled: bool):
        self._by_steps = bool(config.max_steps)
        length = config.max_steps or config.epochs
        self._bar = click.progressbar(length=length, label="training", file=sys.stderr,
                                      show_eta=True, item_show_func=self._describe) if enabled else None
        self._latest = None

    def __enter__(self):
        if self._bar is None:
            return None
        self._bar.__enter__()
        return self._advance

    def __exit__(self, *exc_info):
        if self._bar is not None:
            self._bar.__exit__(*exc_info)

    def _advance(self, tick) -> None:
        done_before = self._latest.step if self._latest is not None else 0
        self._latest = tick
        self._bar.update(tick.step - done_before if self._by_steps else 1, tick)

    @staticmethod
    def _describe(tick) -> str | None:
        if tick is None:
            return None
        losses = " ".join(f"{name}={value:.3f}" for name, value in tick.losses.items())
        return f"step {tick.step} epoch {tick.epoch} {losses}"


def _print_report(report: RunReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    for skipped in report.skipped:
        click.echo(f"skipped {skipped.key}: {skipped.reason}", err=True)
    click.echo(
        f"published {report.user_id}'s face (epoch {report.snapshot_epoch}, {report.steps} steps, "
        f"{report.images_used} images, {len(report.skipped)} skipped) to {report.published_uri}"
    )


@click.group()
def main():
    """devface: turn the faces a person liked into a new face that shows their taste."""


main.add_command(run_command)


@main.command()
@click.option("--source", required=True, type=SPEC, help="Where every user's liked images are (spec string).")
@click.option("--source-opt", multiple=True, metavar="KEY=VALUE", help="Option for the source.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the base model to.")
@click.option("--user", "user_ids", multiple=True, help="A user to include (repeat); default: every user.")
@training_options
@reports_errors
def pretrain(source, source_opt, out, user_ids, config_file, as_json, verbose, **settings):
    """Train a shared base model on every user's likes; fine-tune from it with `--init-from`."""
    _configure_logging(verbose)
    config = load_config(config_file, overrides=settings, pretraining=True)
    image_source = resolve(source, source_opt, "source")
    if not user_ids:
        list_users = getattr(image_source, "users", None)
        if list_users is None:
            raise ConfigError(f"pretrain: {source} cannot list its users; name them with --user")
        user_ids = list_users()
    show_bar = sys.stderr.isatty() and not as_json
    with native_stderr_silenced(enabled=verbose < 2), _progress_bar(config, show_bar) as progress:
        report = run_pretraining(image_source, user_ids, config, out, progress=progress)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(f"base model of {len(report.users)} users ({report.images_used} images, {report.steps} steps) "
                   f"in {report.base}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@reports_errors
def plugins(as_json):
    """List every registered adapter, what it can do, and which package provides it."""
    infos = get_registry().info()
    if as_json:
        click.echo(json.dumps([attrs.asdict(info) for info in infos]))
        return
    for info in infos:
        roles = ",".join(info.capabilities)
        schemes = ",".join(f"{s}://" for s in info.schemes) or "-"
        click.echo(f"{info.name:<10} {roles:<18} {schemes:<24} {info.provider:<16} {info.summary}")


@main.command()
@click.option("--from", "source", required=True, type=SPEC, help="Where the images are (spec string).")
@click.option("--to", "store", required=True, type=SPEC, help="The store to add them to (spec string).")
@click.option("--user", "user_id", required=True, help="The user who liked them.")
@click.option("--from-opt", multiple=True, metavar="KEY=VALUE")
@click.option("--to-opt", multiple=True, metavar="KEY=VALUE")
@click.option("--skip-invalid", is_flag=True, help="Store the good images even if some are not images.")
@reports_errors
def seed(source, store, user_id, from_opt, to_opt, skip_invalid):
    """Add a user's liked images from one place to a store (all checked first; nothing partial)."""
    image_source = resolve(source, from_opt, "source")
    image_store = resolve(store, to_opt, "store")
    checked, invalid = _checked_images(image_source, user_id)
    for error in invalid:
        click.echo(f"skipped {error}", err=True)
    if invalid and not skip_invalid:
        raise InvalidImageError(invalid[0].key, f"{invalid[0].reason} ({len(invalid)} invalid; nothing stored)")
    add_many = getattr(image_store, "add_many", None)
    keys = add_many(user_id, checked) if add_many else [image_store.add(user_id, d, n) for n, d in checked]
    click.echo(f"stored {len(keys)} images for {user_id} in {image_store.describe()}")


def _checked_images(image_source, user_id):
    """Every source image decoded once to prove it is an image: ([(name, bytes)], [InvalidImageError])."""
    good, bad = [], []
    for liked in image_source.iter_images(user_id):
        try:
            encoded = image_bytes(liked.data, liked.key)
            decode_image(encoded, liked.key)
            good.append((liked.key.rsplit("/", 1)[-1], encoded))
        except InvalidImageError as exc:
            bad.append(exc)
    return good, bad


@main.group()
def db():
    """Database housekeeping."""


@db.command("init")
@click.option("--db", "database", default="postgres", show_default=True, type=SPEC,
              help="The database adapter (spec string).")
@click.option("--db-opt", multiple=True, metavar="KEY=VALUE", help="Adapter option (schema, table names…).")
@click.option("--with-trigger", is_flag=True,
              help="Also notify channel devface_likes on every new like (for `devface watch`).")
@reports_errors
def db_init(database, db_opt, with_trigger):
    """Create the liked-images and faces tables if they are missing (never drops anything)."""
    adapter = resolve(database, db_opt, None)
    if not hasattr(adapter, "init_schema"):
        raise ConfigError(f"{adapter.name!r} has no tables to create")
    tables = adapter.init_schema(with_trigger=with_trigger)
    click.echo(f"ready: {', '.join(tables)} in {adapter.describe()}")


@main.command()
@click.option("--source", default="postgres", show_default=True, type=SPEC,
              help="The PostgreSQL likes store to watch (spec string).")
@click.option("--sink", required=True, type=SPEC, help="Where each user's face goes (spec string).")
@click.option("--source-opt", multiple=True, metavar="KEY=VALUE", help="Option for the source.")
@click.option("--sink-opt", multiple=True, metavar="KEY=VALUE", help="Option for the sink.")
@click.option("--queue", "queue_kind", type=click.Choice(["local", "celery"]), default="local", show_default=True,
              help="Train here, one user at a time, or send jobs to Celery workers (`devface worker`).")
@click.option("--quiet-seconds", type=float, default=10.0, show_default=True,
              help="Wait until a user has liked nothing new for this long.")
@click.option("--min-likes", type=int, default=1, show_default=True, help="New likes a job needs at least.")
@click.option("--scan-seconds", type=float, default=60.0, show_default=True,
              help="Catch-up scan interval (finds likes whose notification was lost).")
@training_options
@reports_errors
def watch(source, sink, source_opt, sink_opt, queue_kind, quiet_seconds, min_likes, scan_seconds,
          config_file, as_json, verbose, **settings):
    """Retrain a user's face whenever they like new faces (needs `devface db init --with-trigger`)."""
    from devface_adapters.watch import LocalQueue, WatchSettings, Watcher

    _configure_logging(max(verbose, 1))  # a long-running service says what it does
    config = load_config(config_file, overrides=settings)
    feed = resolve(source, source_opt, "source")
    if not hasattr(feed, "listen"):
        raise ConfigError(f"--source {source}: {feed.name!r} cannot notify about new likes (use postgres)")
    if queue_kind == "celery":
        queue = _celery_queue(source, sink, config, source_opt, sink_opt)
    else:
        image_sink = resolve(sink, sink_opt, "sink")
        queue = LocalQueue(lambda user_id: _print_line(run_pipeline(feed, image_sink, user_id, config), as_json))
    watcher = Watcher(feed, queue, WatchSettings(quiet_seconds, min_likes, scan_seconds))
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: watcher.stop())
    with native_stderr_silenced(enabled=verbose < 2):
        watcher.start()  # "watching" is said once LISTEN is on: a like stored after it is never missed
        logger.info("watching %s for new likes (queue: %s)", feed.describe(), queue_kind)
        watcher.serve()
        if hasattr(queue, "close"):
            queue.close()
    summary = [attrs.asdict(job) for job in watcher.submitted]
    click.echo(json.dumps({"jobs": summary}) if as_json else f"stopped after queueing {len(summary)} jobs")


def _print_line(report: RunReport, as_json: bool) -> None:
    """One line per finished job: JSON Lines with --json, so a long-running watcher's output streams."""
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        click.echo(f"{report.user_id}: published {report.published_uri} ({report.images_used} images)")


def _celery_queue(source, sink, config, source_opt, sink_opt):
    try:
        from devface_adapters.tasks import CeleryQueue
    except ImportError as exc:
        raise ConfigError(f"--queue celery needs the queue extra: pip install 'devface[queue]' ({exc})") from None
    return CeleryQueue(source, sink, config.to_dict(), dict(parse_options(source_opt)),
                       dict(parse_options(sink_opt)))


@main.command()
@click.option("--concurrency", type=int, default=1, show_default=True,
              help="Jobs at once on this machine (each training job already uses every core).")
@click.option("--hostname", help="Worker name (Celery's -n), e.g. gpu1@%h.")
@click.option("--loglevel", default="INFO", show_default=True)
@reports_errors
def worker(concurrency, hostname, loglevel):
    """Run a Celery worker that trains users' faces (broker: DEVFACE_BROKER_URL)."""
    try:
        from devface_adapters.tasks import app
    except ImportError as exc:
        raise ConfigError(f"devface worker needs the queue extra: pip install 'devface[queue]' ({exc})") from None
    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--without-gossip",
            "--without-mingle"]
    app.worker_main(argv + ([f"--hostname={hostname}"] if hostname else []))
