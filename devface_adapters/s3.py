"""The `s3://bucket/prefix` adapter: liked images as objects under `prefix/<user>/`, the face at `prefix/<user>.png`.

Works with AWS S3 and any S3-compatible store (MinIO, LocalStack, moto): give `endpoint_url` (or the
standard AWS_ENDPOINT_URL) and path-style addressing is used. Credentials, region and profile come from
boto3's usual chain, never from the spec string, and are never logged. User ids that could change the
key's meaning (`/`, `..`) are refused before any request.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Iterator


from devface_adapters.base import Adapter, devface_version, positive_int
from devface_adapters.hookspecs import hookimpl
from devface_adapters.lazy import lazy_module
from devface_core.errors import AdapterError, ConfigError
from devface_core.types import PublishedImage, SourceImage
from devface_core.userid import path_safe_user_id

boto3_session = lazy_module("boto3.session", "s3", "boto3")
botocore_config = lazy_module("botocore.config", "s3", "boto3")
botocore_errors = lazy_module("botocore.exceptions", "s3", "boto3")

DEFAULT_LIKES_TEMPLATE = "{prefix}{user}/"
MAX_KEY_BYTES = 1024
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
ERROR_MEANINGS = {
    "NoSuchBucket": "bucket does not exist",
    "AccessDenied": "access denied",
    "InvalidAccessKeyId": "access denied (unknown access key)",
    "SignatureDoesNotMatch": "access denied (wrong secret key)",
    "403": "access denied",
    "404": "not found",
}


class S3Adapter(Adapter):
    """Objects in an S3 bucket: source, store and sink (`s3://bucket/prefix`)."""

    name = "s3"
    schemes = ("s3",)
    summary = "S3 or compatible: prefix/<user>/* in, prefix/<user>.png out"

    def __init__(self, *, url: str, endpoint_url: str | None = None, region: str | None = None,
                 profile: str | None = None, likes_template: str = DEFAULT_LIKES_TEMPLATE,
                 face_template: str = "{prefix}{user}.png", page_size: str = "1000", connect_timeout: str = "10"):
        self.bucket, self.prefix = parse_s3_url(url)
        self.endpoint_url = endpoint_url or next((os.environ[v] for v in ENDPOINT_VARIABLES if os.environ.get(v)), None)
        self.region, self.profile = region, profile
        self.likes_template, self.face_template = likes_template, face_template
        self.page_size = positive_int(page_size, "s3 option page_size")
        self.connect_timeout = positive_int(connect_timeout, "s3 option connect_timeout")
        self._client = self._session = None

    @classmethod
    def from_spec(cls, argument, options):
        """`s3://bucket/prefix`."""
        return cls(url=argument, **options)

    def _describe(self):
        return {"bucket": self.bucket, "prefix": self.prefix, "endpoint": self.endpoint_url or "aws"}

    def _where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix} (endpoint {self.endpoint_url or 'AWS default'})"

    @property
    def session(self):
        """The boto3 session (profile, region, credentials), created on first use."""
        if self._session is None:
            self._session = boto3_session.Session(profile_name=self.profile, region_name=self.region)
        return self._session

    @property
    def client(self):
        """The boto3 S3 client, created on first use from the session (which keeps the resolved credentials)."""
        if self._client is None:
            addressing = {"addressing_style": "path"} if self.endpoint_url else {}
            config = botocore_config.Config(s3=addressing, connect_timeout=self.connect_timeout,
                                            retries={"max_attempts": 2})
            self._client = self.session.client("s3", endpoint_url=self.endpoint_url, config=config)
        return self._client

    def _key(self, template: str, user_id: str) -> str:
        return template.format(prefix=self.prefix, user=path_safe_user_id(user_id))

    def _failed(self, exc: Exception) -> AdapterError:
        """One place that turns a boto3/botocore failure into a one-line message naming bucket and endpoint."""
        if isinstance(exc, botocore_errors.ClientError):
            code = str(exc.response.get("Error", {}).get("Code", "error"))
            detail = ERROR_MEANINGS.get(code, code)
        elif isinstance(exc, botocore_errors.NoCredentialsError):
            detail = "no AWS credentials found (environment, ~/.aws, or instance role)"
        elif isinstance(exc, botocore_errors.EndpointConnectionError):
            detail = "cannot reach the endpoint"
        else:
            detail = type(exc).__name__
        return AdapterError(f"{self._where()}: {detail}")

    def iter_images(self, user_id: str) -> Iterator[SourceImage]:
        """Stream the objects under the user's prefix, listed page by page and fetched one at a time."""
        prefix = self._key(self.likes_template, user_id)
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": self.page_size})
            for page in pages:
                for entry in page.get("Contents", ()):
                    if not entry["Key"].endswith("/"):
                        yield self._fetch(entry, user_id)
        except (botocore_errors.BotoCoreError, botocore_errors.ClientError) as exc:
            raise self._failed(exc) from None

    def users(self) -> list[str]:
        """Every user with a folder of likes under the prefix (`prefix/<user>/`), listed page by page."""
        if self.likes_template != DEFAULT_LIKES_TEMPLATE:
            raise ConfigError(f"{self._where()}: cannot list users under a custom likes_template; name them with --user")
        users = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix, Delimiter="/", PaginationConfig={"PageSize": self.page_size})
            for page in pages:
                users.extend(entry["Prefix"][len(self.prefix):-1] for entry in page.get("CommonPrefixes", ()))
        except (botocore_errors.BotoCoreError, botocore_errors.ClientError) as exc:
            raise self._failed(exc) from None
        return sorted(users)

    def _fetch(self, entry: dict, user_id: str) -> SourceImage:
        body = self.client.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"].read()
        return SourceImage(key=f"s3://{self.bucket}/{entry['Key']}", data=body, user_id=user_id,
                           created_at=entry.get("LastModified"))

    def check_can_publish(self, user_id: str) -> None:
        """ConfigError unless the face's object key fits S3's 1 024 bytes, AdapterError where no credentials
        are found (asked before any like is read)."""
        key = self._key(self.face_template, user_id)
        if len(key.encode("utf-8")) > MAX_KEY_BYTES:
            raise ConfigError(f"{self._where()}: the face's key for user {user_id[:40]!r}… would be "
                              f"{len(key.encode('utf-8'))} bytes; S3 takes {MAX_KEY_BYTES}")
        # Where no credentials can be found, the PUT would fail only after minutes of training.
        if self.session.get_credentials() is None:  # resolved locally, no S3 request
            raise self._failed(botocore_errors.NoCredentialsError())

    def publish(self, user_id: str, image: PublishedImage) -> str:
        """One PUT (S3 never exposes a partial object) with content type and metadata."""
        key = self._key(self.face_template, user_id)
        metadata = {"step": str(image.step), "devface-version": devface_version()}
        if image.epoch is not None:
            metadata["epoch"] = str(image.epoch)
        if image.score is not None:
            metadata["score"] = f"{image.score:.6g}"
        self._put(key, image.png, "image/png", metadata)
        return f"s3://{self.bucket}/{key}"

    def add(self, user_id: str, data: bytes, name: str) -> str:
        """Upload a liked image under the user's prefix, never replacing an existing object."""
        safe_name = PurePosixPath(name).name
        if not safe_name or safe_name.startswith("."):
            raise ConfigError(f"{self._where()}: cannot store an image named {name!r}")
        key = self._free_key(self._key(self.likes_template, user_id), safe_name)
        self._put(key, data, "application/octet-stream", {})
        return f"s3://{self.bucket}/{key}"

    def _free_key(self, folder: str, name: str) -> str:
        stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
        candidate, number = folder + name, 1
        while self._exists(candidate):
            candidate, number = f"{folder}{stem}-{number}{suffix}", number + 1
        return candidate

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except botocore_errors.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._failed(exc) from None
        except botocore_errors.BotoCoreError as exc:
            raise self._failed(exc) from None

    def _put(self, key: str, body: bytes, content_type: str, metadata: dict[str, str]) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                                   Metadata=metadata)
        except (botocore_errors.BotoCoreError, botocore_errors.ClientError) as exc:
            raise self._failed(exc) from None


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → ("bucket", "some/prefix/"); the prefix may be empty."""
    if not url or not url.lower().startswith("s3://"):
        raise ConfigError(f"s3: expected s3://bucket/prefix, got {url!r}")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise ConfigError(f"s3: no bucket in {url!r}")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


@hookimpl
def devface_register_adapters(register):
    """Register the s3 adapter."""
    register(S3Adapter)
