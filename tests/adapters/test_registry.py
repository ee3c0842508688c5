"""The plugin registry: spec strings, options, name clashes, and a real third-party plugin package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devface_adapters.base import Adapter
from devface_adapters.memory import MemoryAdapter
from devface_adapters.registry import AdapterRegistry, build_registry, get_registry, parse_options
from devface_core import run_pipeline
from devface_core.errors import ConfigError
from tests.contract.harness import png_size
from tests.helpers.scripts import script

EXAMPLE_PLUGIN = Path(__file__).parents[2] / "examples" / "plugin_example"


def test_spec_strings_resolve_names_arguments_and_options(tmp_path):
    registry = get_registry()
    assert registry.resolve("memory:specs").space.name == "specs"
    assert registry.resolve(f"dir:{tmp_path}").root == tmp_path
    sink = registry.resolve(f"jsfile:{tmp_path}/a.js", {"identifier": "FACE", "module": "true"}, role="sink")
    assert (sink.identifier, sink.module) == ("FACE", True)


def test_url_specs_dispatch_on_the_scheme():
    class Bucket(Adapter):
        name, schemes = "bucket", ("bkt",)

        def __init__(self, *, url: str):
            self.url = url

        @classmethod
        def from_spec(cls, argument, options):
            return cls(url=argument, **options)

        def publish(self, user_id, image):
            return self.url

    registry = AdapterRegistry()
    registry.add(Bucket)
    assert registry.resolve("bkt://faces/out").url == "bkt://faces/out"
    with pytest.raises(ConfigError, match=r"unknown adapter 'gs://' \(known: bkt\)"):
        registry.resolve("gs://faces")


def test_a_name_registered_twice_by_different_classes_fails_loudly():
    class Impostor(MemoryAdapter):
        pass

    registry = AdapterRegistry()
    registry.add(MemoryAdapter)
    with pytest.raises(ConfigError, match="registered twice"):
        registry.add(Impostor)


def test_the_registry_view_is_read_only():
    with pytest.raises(TypeError):
        get_registry().adapters["x"] = MemoryAdapter


def test_options_must_be_key_value_pairs():
    assert parse_options(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_options(["novalue"])


def test_example_plugin_registered_in_process_runs_the_pipeline(tmp_path, tiny_config, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE_PLUGIN))
    import devface_html

    registry = build_registry(extra_plugins=[devface_html])
    likes = registry.resolve("demo:4", role="source")
    page = tmp_path / "face.html"
    report = run_pipeline(likes, registry.resolve(f"html:{page}", role="sink"), "dora", tiny_config)
    assert report.published_uri == page.resolve().as_uri()
    src = page.read_text().split('src="data:image/png;base64,')[1].split('"')[0]
    import base64

    assert png_size(base64.b64decode(src)) == (500, 492)


def test_installed_example_plugin_is_listed_by_devface_plugins(tmp_path):
    target, source = tmp_path / "site", tmp_path / "plugin_source"
    shutil.copytree(EXAMPLE_PLUGIN, source)  # building in place would leave egg-info in the repository
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
               "--target", str(target), str(source)]
    subprocess.run(install, check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    listed = subprocess.run([script("devface"), "plugins", "--json"], env=env, capture_output=True, text=True, check=True)
    adapters = {entry["name"]: entry for entry in json.loads(listed.stdout)}
    assert {"memory", "dir", "jsfile", "demo", "html"} <= set(adapters)
    assert adapters["html"]["provider"] == "devface-html" and adapters["html"]["capabilities"] == ["sink"]
