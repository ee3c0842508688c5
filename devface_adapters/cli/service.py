"""The service commands: `devface db init`, `devface watch` and `devface worker`."""

from __future__ import annotations

import json
import logging
import signal

import attrs
import click

from devface_adapters.cli.commands import main, resolve
from devface_adapters.cli.options import SINK_SPEC, SOURCE_SPEC, SPEC, personal_options, training_options
from devface_adapters.cli.reporting import echo, configure_logging, reports_errors
from devface_adapters.registry import parse_options
from devface_core.native_output import native_output_captured
from devface_core import RunReport, load_config, run_pipeline
from devface_core.errors import ConfigError

logger = logging.getLogger("devface")


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
    echo(f"ready: {', '.join(tables)} in {adapter.describe()}")


@main.command()
@click.option("--source", default="postgres", show_default=True, type=SOURCE_SPEC,
              help="The PostgreSQL likes store to watch (spec string).")
@click.option("--sink", required=True, type=SINK_SPEC, help="Where each user's face goes (spec string).")
@click.option("--source-opt", multiple=True, metavar="KEY=VALUE", help="Option for the source.")
@click.option("--sink-opt", multiple=True, metavar="KEY=VALUE", help="Option for the sink.")
@click.option("--queue", "queue_kind", type=click.Choice(["local", "celery"]), default="local", show_default=True,
              help="Train here, one user at a time, or send jobs to Celery workers (`devface worker`).")
@click.option("--quiet-seconds", type=float, default=10.0, show_default=True,
              help="Wait until a user has liked nothing new for this long.")
@click.option("--min-likes", type=int, default=1, show_default=True, help="New likes a job needs at least.")
@click.option("--scan-seconds", type=float, default=60.0, show_default=True,
              help="Catch-up scan interval (finds likes whose notification was lost).")
@personal_options
@training_options
@reports_errors
def watch(source, sink, source_opt, sink_opt, queue_kind, quiet_seconds, min_likes, scan_seconds,
          config_file, as_json, verbose, quiet, **settings):
    """Retrain a user's face whenever they like new faces (needs `devface db init --with-trigger`)."""
    from devface_adapters.watch import LocalQueue, WatchSettings, Watcher

    configure_logging(max(verbose, 1), quiet)  # a long-running service says what it does
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
    with native_output_captured():
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
        echo(f"{report.user_id}: published {report.published_uri} ({report.images_used} images, "
             f"{report.personalization})")


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
        from devface_adapters.tasks import get_app
    except ImportError as exc:
        raise ConfigError(f"devface worker needs the queue extra: pip install 'devface[queue]' ({exc})") from None
    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--without-gossip",
            "--without-mingle"]
    get_app().worker_main(argv + ([f"--hostname={hostname}"] if hostname else []))
