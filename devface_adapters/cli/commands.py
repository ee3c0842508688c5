"""The everyday commands: `devface-run` (also `devface run`), `devface pretrain`, `encoder`, `upscaler`, `plugins`
and `seed`."""

from __future__ import annotations

import json
import logging

import attrs
import click

from devface_adapters.cli.options import SOURCE_SPEC, STORE_SPEC, base_part_options, pretrain_options, run_options
from devface_adapters.cli.progress import ProgressDisplay
from devface_adapters.cli.stopping import stop_on_signals
from devface_adapters.cli.reporting import (OneLineCommand, OneLineGroup, configure_logging, echo, print_report,
                                            reports_errors)
from devface_adapters.registry import get_registry, parse_options
from devface_core.native_output import native_output_captured
from devface_core import load_config, run_pipeline
from devface_core.adapting import run_code_adaptation
from devface_core.encoding import run_encoder_training
from devface_core.errors import ConfigError, InvalidImageError
from devface_core.fields import BUILTIN
from devface_core.imaging import decode_image, image_bytes
from devface_core.pipeline import run_pretraining
from devface_core.upscaling import run_upscaler_training

logger = logging.getLogger("devface")


def resolve(spec: str, option_pairs, role: str):
    """The adapter for a spec string and its `key=value` options, checked for a role."""
    return get_registry().resolve(spec, parse_options(option_pairs), role=role)


HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
# \b keeps click from rewrapping the tables.
RUN_EPILOG = """\b
Specs: where likes come from (--source) and where the face goes (--sink):
  demo                    built-in sample faces (source only)
  dir:PATH                PATH/<user>/* in; PATH/<user>.png and .json out
  postgres                the deployed tables, over DEVFACE_DATABASE_URL
  postgresql://...        the same, over this connection string
  s3://BUCKET/PREFIX      PREFIX/<user>/* in; PREFIX/<user>.png out
  jsfile:PATH             a JavaScript file a web page loads (sink only)
  memory                  this process's memory (embedding, tests)
`devface plugins` lists every adapter, plugins' too.

\b
Examples:
  devface-run --source demo --sink jsfile:out/imgb64.js --user alice
  devface-run --source dir:likes --sink dir:faces --user alice
  devface-run --source postgres --sink jsfile --user alice --init-from base

Every setting is also DEVFACE_<NAME> in the environment or a .env file, or a --config file key;
docs/settings.md lists them all.
"""


@click.command(name="run", cls=OneLineCommand, context_settings=HELP_OPTIONS, epilog=RUN_EPILOG)
@click.version_option(package_name="devface", message="devface %(version)s")
@run_options
@reports_errors
def run_command(source, sink, user_id, source_opt, sink_opt, config_file, as_json, verbose, quiet, **settings):
    """Train a GAN on a user's liked faces and publish the generated face."""
    configure_logging(verbose, quiet)
    config = load_config(config_file, overrides=settings)
    image_source = resolve(source, source_opt, "source")
    image_sink = resolve(sink, sink_opt, "sink")
    # The pipeline captures native output itself; this outer capture keeps the stderr copy that the progress
    # bar writes to open until the bar has closed (the inner one would close it first).
    with native_output_captured(), ProgressDisplay(quiet, as_json) as progress:
        report = run_pipeline(image_source, image_sink, user_id, config, progress=progress)
    print_report(report, as_json)


@click.group(cls=OneLineGroup, context_settings=HELP_OPTIONS)
@click.version_option(package_name="devface", message="devface %(version)s")
def main():
    """devface: turn the faces a person liked into a new face that shows their taste."""


main.add_command(run_command)


@main.command()
@click.option("--source", required=True, type=SOURCE_SPEC, help="Where every user's liked images are (spec string).")
@click.option("--source-opt", multiple=True, metavar="KEY=VALUE", help="Option for the source.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the base model to.")
@click.option("--user", "user_ids", multiple=True, help="A user to include (repeat); default: every user.")
@pretrain_options
@reports_errors
def pretrain(source, source_opt, out, user_ids, hours, config_file, as_json, verbose, quiet, **settings):
    """Train a shared base model on every user's likes; fine-tune from it with `--init-from`. The first
    Ctrl-C (or SIGTERM) stops it after the current steps with the base saved."""
    configure_logging(verbose, quiet)
    if hours is not None:
        if settings["max_seconds"] is not None:
            raise ConfigError("pretrain: give --hours or --max-seconds, not both")
        settings["max_seconds"] = hours * 3600
    config = load_config(config_file, overrides=settings, pretraining=True)
    image_source = resolve(source, source_opt, "source")
    try:
        user_ids = _users(image_source, source, user_ids)
    except ConfigError as exc:
        raise ConfigError(f"pretrain: {exc}") from None
    with native_output_captured(), ProgressDisplay(quiet, as_json) as progress, stop_on_signals() as stop:
        report = run_pretraining(image_source, user_ids, config, out, progress=progress, stop=stop)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    how = "stopped early at " if report.stopped else ""
    resumed = f", resumed from step {report.resumed_from_step}" if report.resumed_from_step is not None else ""
    encoded = (f", its encoder {report.encoder_steps} steps" if report.encoder_steps else
               f", no encoder: `devface encoder --base {report.base} --source SPEC` adds one")
    encoded += f", taught its codes {report.adapt_steps} steps" if report.adapt_steps else ""
    encoded += (f", its upscaler {report.upscaler_steps} steps" if report.upscaler_steps else
                f", no upscaler: `devface upscaler --base {report.base} --source SPEC` adds one")
    echo(f"base model of {len(report.users)} users ({report.images_used} images, {how}{report.steps} steps"
         f"{resumed}{encoded}) in {report.base}")


@main.command()
@base_part_options("The base folder to add the encoder to.")
@reports_errors
def encoder(base, source, source_opt, user_ids, config_file, as_json, verbose, quiet, **settings):
    """Teach a base's encoder every user's likes, so `--personalize latent` can use the base (pretrain trains
    one itself). The first Ctrl-C stops it after the current steps with the encoder saved."""
    _add_to_base("encoder", run_encoder_training, base, source, source_opt, user_ids, config_file, as_json,
                 verbose, quiet, settings)


@main.command()
@base_part_options("The base folder to add the upscaler to.")
@reports_errors
def upscaler(base, source, source_opt, user_ids, config_file, as_json, verbose, quiet, **settings):
    """Teach a base's ×2 upscaler every user's likes at twice its side, so its faces are published with that
    detail (pretrain trains one itself). The first Ctrl-C stops it after the current steps with it saved."""
    _add_to_base("upscaler", run_upscaler_training, base, source, source_opt, user_ids, config_file, as_json,
                 verbose, quiet, settings)


@main.command()
@base_part_options("The base folder to teach its codes.")
@reports_errors
def adapt(base, source, source_opt, user_ids, config_file, as_json, verbose, quiet, **settings):
    """Teach a base with an encoder to draw at its codes, on every user's likes, so faces drawn at a user's
    likes' codes look as real as its own (pretrain does it itself). The first Ctrl-C stops it after the
    current steps with the base saved."""
    _add_to_base("adaptation", run_code_adaptation, base, source, source_opt, user_ids, config_file, as_json,
                 verbose, quiet, settings)


def _add_to_base(part, training, base, source, source_opt, user_ids, config_file, as_json, verbose, quiet, settings):
    """Train one of a base's parts (its `encoder`, its `upscaler`, its `adaptation` to its codes) by `training`
    and report it."""
    configure_logging(verbose, quiet)
    if base == BUILTIN:
        raise ConfigError(f"{part}: the builtin base ships with its {part} and is not changed in place; copy its "
                          "folder to train another")
    config = load_config(config_file, overrides={**settings, "init_from": base})
    image_source = resolve(source, source_opt, "source")
    with native_output_captured(), ProgressDisplay(quiet, as_json) as progress, stop_on_signals() as stop:
        report = training(image_source, _users(image_source, source, user_ids), config, progress, stop)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    how = "stopped early at " if report.stopped else ""
    echo(f"{part} on {len(report.users)} users' likes ({report.images_used} images, {how}{report.steps} steps) "
         f"saved in the base in {report.base}")


def _users(image_source, source: str, user_ids) -> tuple[str, ...]:
    """The users named, or every user the source can list (ConfigError when it cannot)."""
    if user_ids:
        return tuple(user_ids)
    list_users = getattr(image_source, "users", None)
    if list_users is None:
        raise ConfigError(f"{source} cannot list its users; name them with --user")
    return tuple(list_users())


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
        echo(f"{info.name:<10} {roles:<18} {schemes:<24} {info.provider:<16} {info.summary}")


@main.command()
@click.option("--from", "source", required=True, type=SOURCE_SPEC, help="Where the images are (spec string).")
@click.option("--to", "store", required=True, type=STORE_SPEC, help="The store to add them to (spec string).")
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
        echo(f"skipped {error}", err=True)
    if invalid and not skip_invalid:
        raise InvalidImageError(invalid[0].key, f"{invalid[0].reason} ({len(invalid)} invalid; nothing stored)")
    add_many = getattr(image_store, "add_many", None)
    keys = add_many(user_id, checked) if add_many else [image_store.add(user_id, d, n) for n, d in checked]
    echo(f"stored {len(keys)} images for {user_id} in {image_store.describe()}")


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


