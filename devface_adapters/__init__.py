"""devface_adapters: the outside world for devface — storage adapters, the plugin registry and the CLI.

Writing an adapter plugin
-------------------------
An adapter is a class with a `name` (and optional URL `schemes`) that implements some of
`iter_images(user_id)` (a source), `publish(user_id, image)` (a sink) and `add(user_id, data, name)`
(a store). Register it from a module with the one hook, exactly as the built-ins do::

    import devface_adapters
    from devface_adapters.base import Adapter

    class RedisAdapter(Adapter):
        name = "redis"
        schemes = ("redis",)

        def __init__(self, *, url: str): ...
        @classmethod
        def from_spec(cls, argument, options): return cls(url=argument, **options)
        def publish(self, user_id, image): ...

    @devface_adapters.hookimpl
    def devface_register_adapters(register):
        register(RedisAdapter)

and point the `devface` entry-point group at the module in your `pyproject.toml`::

    [project.entry-points.devface]
    redis = "devface_redis"

Set `DEVFACE_PLUGINS=name1,name2` to load only those third-party plugins, and `DEVFACE_TRACE_PLUGINS=1`
to print every hook call.
"""

from devface_adapters.hookspecs import hookimpl

__all__ = ["hookimpl"]
