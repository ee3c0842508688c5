"""The command line's options: adapter spec strings, and the training settings generated from `Config`'s
own declarations (type, choices, help and default), so no setting is declared twice."""

from __future__ import annotations

import functools

import attrs
import click

from devface_adapters.registry import get_registry
from devface_core.config import FIELDS, PRETRAIN_DEFAULTS
from devface_core.errors import DevfaceError


class AdapterSpec(click.ParamType):
    """A spec string (`memory`, `dir:PATH`, `s3://bucket/prefix`) whose adapter must be registered and, given
    a role, able to play it (so `--sink` offers only adapters that can publish)."""

    name = "spec"

    def __init__(self, role: str | None = None):
        self.role = role

    def convert(self, value, param, ctx):
        """The spec as given, once the registry knows its adapter."""
        try:
            get_registry().lookup(value, self.role)
        except DevfaceError as exc:
            self.fail(str(exc), param, ctx)
        return value


SPEC, SOURCE_SPEC, SINK_SPEC = AdapterSpec(), AdapterSpec("source"), AdapterSpec("sink")
STORE_SPEC = AdapterSpec("store")


def _apply(options, command):
    return functools.reduce(lambda cmd, option: option(cmd), reversed(options), command)


def _help(field: attrs.Attribute, default) -> str:
    """The setting's help with its default (settings on 'auto' explain their default in the help)."""
    if default is None or field.metadata["kind"] == "flag":
        return field.metadata["help"]
    if isinstance(default, bool):
        default = "on" if default else "off"
    return f"{field.metadata['help']} [default: {default}]"


def setting_option(field: attrs.Attribute, default=attrs.NOTHING, help_text: str | None = None):
    """A click option for one Config setting; None when not given, so lower layers (env, file) apply.
    `default` is what the help shows when the command's default differs from Config's; `help_text` words
    the setting for a command that uses it differently."""
    flag, kind = "--" + field.name.replace("_", "-"), field.metadata["kind"]
    text = help_text or _help(field, field.default if default is attrs.NOTHING else default)
    if kind == "switch":
        return click.option(f"{flag}/--no-{flag[2:]}", field.name, default=None, help=text)
    if kind == "flag":
        return click.option(flag, field.name, is_flag=True, default=None, help=text)
    types = {"int": int, "float": float, "text": str, "choice": click.Choice(field.metadata["choices"]),
             "folder": click.Path(file_okay=False), "file": click.Path(dir_okay=False)}
    return click.option(flag, field.name, type=types[kind], help=text)


def settings_options(group: str, defaults: dict | None = None):
    """Options for every setting whose declaration names this CLI group (see fields.setting); `defaults`: the
    command's own defaults where they differ from Config's."""
    defaults = defaults or {}
    return [setting_option(field, defaults.get(field.name, attrs.NOTHING)) for field in FIELDS
            if field.metadata["cli"] == group]


def _command_options(settings: list) -> list:
    """A settings file, the given settings options, and how the command reports (JSON, verbosity)."""
    return [
        click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML or YAML settings."),
        *settings,
        click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout."),
        click.option("-v", "--verbose", count=True, help="More logging (-vv for debug)."),
        click.option("-q", "--quiet", is_flag=True, help="No phase or progress lines (errors and the report still show)."),
    ]


def training_options(command, defaults: dict | None = None):
    """The settings options shared by `run`, `pretrain` and `watch`."""
    return _apply(_command_options(settings_options("train", defaults)), command)


# The run's checkpoint and contact-sheet settings, worded for a base (its checkpoints fill the folder itself).
PRETRAIN_SETTINGS = {
    "checkpoint_dir": "Keep the pretraining's checkpoints here, so that --resume can continue it.",
    "checkpoint_every": None,
    "resume": "Continue from the last checkpoint in --checkpoint-dir (to --max-steps in all; --hours more).",
    "contact_sheets": "Write each snapshot's samples here as pretrain-step-N.png.",
}


def pretrain_options(command):
    """`devface pretrain`'s settings options, with its own defaults (PRETRAIN_DEFAULTS) in the help."""
    fields = {field.name: field for field in FIELDS}
    options = [
        *(setting_option(fields[name], help_text=text) for name, text in PRETRAIN_SETTINGS.items()),
        *settings_options("pretrain"),
        click.option("--hours", type=click.FloatRange(min=0, min_open=True),
                     help="Time budget in hours (or --max-seconds); with one, no step limit unless --max-steps."),
    ]
    return _apply(options, training_options(command, PRETRAIN_DEFAULTS))


def base_part_options(base_help: str):
    """`devface encoder`'s, `upscaler`'s and `adapt`'s options: the base (`base_help` its help), the likes,
    the training's steps, batch size and seed, a settings file, and the output."""
    fields = {field.name: field for field in FIELDS}
    settings = [*settings_options("pretrain"), setting_option(fields["batch_size"]), setting_option(fields["seed"])]
    options = [
        click.option("--base", required=True, type=click.Path(file_okay=False), help=base_help),
        click.option("--source", required=True, type=SOURCE_SPEC, help="Where every user's liked images are (spec string)."),
        click.option("--source-opt", multiple=True, metavar="KEY=VALUE", help="Option for the source."),
        click.option("--user", "user_ids", multiple=True, help="A user to include (repeat); default: every user."),
        *_command_options(settings),
    ]
    return lambda command: _apply(options, command)


def personal_options(command):
    """How a user's faces come from a base (`personal` settings): for `watch`, which has no other run options."""
    return _apply(settings_options("personal"), command)


def run_options(command):
    """The options of `devface-run` / `devface run`."""
    options = [
        click.option("--source", required=True, type=SOURCE_SPEC, help="Where liked images come from (spec string)."),
        click.option("--sink", required=True, type=SINK_SPEC, help="Where the face goes (spec string)."),
        click.option("--user", "user_id", required=True, help="The user whose likes to train on."),
        click.option("--source-opt", multiple=True, metavar="KEY=VALUE", help="Option for the source."),
        click.option("--sink-opt", multiple=True, metavar="KEY=VALUE", help="Option for the sink."),
        *settings_options("run"),
        *settings_options("personal"),
    ]
    return _apply(options, training_options(command))
