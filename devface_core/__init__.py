"""devface_core: the pure heart of devface. Liked images in, a generated face out.

It knows storage only through the `ImageSource` / `ImageSink` protocols and never imports psycopg2,
boto3, click or pluggy. TensorFlow is imported only when training starts.

    from devface_core import Config, run_pipeline
    report = run_pipeline(source, sink, "alice", Config(epochs=50))
"""

from devface_core.config import Config
from devface_core.config_loading import load_config
from devface_core.errors import AdapterError, ConfigError, DevfaceError, InvalidImageError, NoImagesError
from devface_core.imaging import decode_image, encode_png, fit_image, to_base64, to_data_url
from devface_core.pipeline import published_image, run_pipeline
from devface_core.protocols import ImageSink, ImageSource, ImageStore
from devface_core.selection import Selection, select_snapshot
from devface_core.types import Progress, PublishedImage, RunReport, SkippedImage, Snapshot, SourceImage
from devface_core.userid import path_safe_user_id, validate_user_id

__all__ = [
    "AdapterError",
    "Config",
    "ConfigError",
    "DevfaceError",
    "ImageSink",
    "ImageSource",
    "ImageStore",
    "InvalidImageError",
    "NoImagesError",
    "Progress",
    "PublishedImage",
    "RunReport",
    "Selection",
    "SkippedImage",
    "Snapshot",
    "SourceImage",
    "decode_image",
    "encode_png",
    "fit_image",
    "load_config",
    "path_safe_user_id",
    "published_image",
    "run_pipeline",
    "select_snapshot",
    "to_base64",
    "to_data_url",
    "validate_user_id",
]
