"""The devface error family: every failure a user can cause has a class and a one-line message.

The CLI maps each class to its exit code (`exit_code`); messages name the thing and the place.
"""


class DevfaceError(Exception):
    """Base of every error devface raises on purpose."""

    exit_code = 1


class ConfigError(DevfaceError):
    """A setting, spec string or user id that cannot be used."""

    exit_code = 2


class NoImagesError(DevfaceError):
    """A user has no usable liked images (unknown user, or every image was bad)."""

    exit_code = 3


class AdapterError(DevfaceError):
    """Storage failed: unreachable server, missing table or bucket, unwritable folder."""

    exit_code = 4


class InvalidImageError(DevfaceError):
    """Bytes that do not decode to a usable image; `key` names the image."""

    exit_code = 5

    def __init__(self, key: str, reason: str):
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class NearCopyError(DevfaceError):
    """Every generated candidate is a near copy of a liked image, so nothing may be published."""

    exit_code = 6
