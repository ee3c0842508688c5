"""The only wiring: `run_pipeline` (source → decode → plan → train → select → publish → report) and
`run_pretraining` (every user's likes → plan → train → base folder)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from devface_core.config import Config
from devface_core.contact_sheet import write_contact_sheet
from devface_core.dataset import TrainingSet, load_training_set
from devface_core.errors import NoImagesError
from devface_core.gan.recipe import TrainingPlan, plan_training
from devface_core.imaging import encode_png, resize_array
from devface_core.native_output import native_output_captured
from devface_core.protocols import ImageSink, ImageSource
from devface_core.read_once import LikesReadOnce
from devface_core.selection import Selection, select_snapshot
from devface_core.types import PretrainReport, Progress, PublishedImage, RunReport, Snapshot, StopFlag
from devface_core.upscaling import (detail_looks, likes_at_twice_the_side, likes_for_detail, train_upscaler,
                                   upscaled_face)
from devface_core.userid import encoded_user_id, validate_user_id

logger = logging.getLogger(__name__)
# Where each phase of a run is announced (reading, training, selecting, publishing): INFO lines a command
# shows by default, so a run without a terminal is never silent for minutes; a library user opts in.
PHASE_LOGGER = "devface_core.phases"
phases = logging.getLogger(PHASE_LOGGER)


def run_pipeline(
    source: ImageSource,
    sink: ImageSink,
    user_id: str,
    config: Config | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> RunReport:
    """Train on one user's liked images, publish the chosen face to the sink, and report what happened."""
    validate_user_id(user_id)
    _check_sink_takes(sink, user_id)
    plan = plan_training(config or Config())
    config = plan.config  # as trained: settings on 'auto' resolved, so the report says what was used
    timings: dict[str, float] = {}
    started = time.perf_counter()
    phases.info("%s: reading likes from %s", user_id, _describe(source))
    training_set, detail_likes = _read(source, user_id, config)
    timings["read"] = time.perf_counter() - started
    phases.info("%s: %d images read (%d skipped) in %.1f s", user_id, len(training_set.images),
                len(training_set.skipped), timings["read"])
    with native_output_captured():
        if config.personalize == "latent":
            selection, trainer = _draw_and_select(training_set, user_id, plan, None, timings), None
        else:
            selection, trainer = _train_and_select(training_set, user_id, plan, progress, timings)
    started = time.perf_counter()
    with native_output_captured():
        image = published_image(selection, config, user_id, detail_likes)
    timings["render"] = time.perf_counter() - started
    started = time.perf_counter()
    phases.info("%s: publishing to %s", user_id, _describe(sink))
    uri = sink.publish(user_id, image)
    timings["publish"] = time.perf_counter() - started
    logger.info("user %r: published the snapshot of step %d to %s", user_id, selection.snapshot.step, uri)
    return _report(user_id, training_set, selection, trainer, uri, timings, config, image.metadata)


def _check_sink_takes(sink: ImageSink, user_id: str) -> None:
    """Ask a sink that can say so whether it can take this user's face, before any like is read."""
    check = getattr(sink, "check_can_publish", None)
    if callable(check):
        check(user_id)


def _read(source: ImageSource, user_id: str, config: Config) -> tuple[TrainingSet, np.ndarray]:
    """The user's training set and the likes that lend the published face detail, each like read once (the
    likes kept for the second look go when this returns, not at the end of training)."""
    likes = LikesReadOnce(source, detail_looks(config))
    training_set = load_training_set(likes, user_id, config)
    if len(training_set.images) == 0:
        detail = f"all {training_set.images_read} images were unusable" if training_set.images_read else "no images"
        raise NoImagesError(f"user {user_id!r}: no usable liked images in {_describe(source)} ({detail})")
    return training_set, likes_for_detail(likes, user_id, config)


def run_pretraining(source: ImageSource, user_ids: Iterable[str], config: Config, out: str | Path,
                    progress: Callable[[Progress], None] | None = None, stop: StopFlag | None = None) -> PretrainReport:
    """Train one model on the liked images of all `user_ids` together, then its encoder (`encoder_steps`) and
    its upscaler (`upscaler_steps`), and save them as a base in `out`: resumable with checkpoint_dir, and
    ended early by `stop` (a threading.Event) with a usable base all the same."""
    from devface_core.base_parts import likes_of
    from devface_core.encoding import train_encoder

    plan = plan_training(config, pretraining=True)
    try:
        users, images, skipped = likes_of(source, user_ids, plan.config)
        # Read before training: a source that fails now must not cost hours of pretraining.
        larger = likes_at_twice_the_side(source, users, plan.config) if plan.config.upscaler_steps else None
    except NoImagesError as exc:
        raise NoImagesError(f"pretrain: {exc}") from None
    phases.info("pretraining on %d images of %d users", len(images), len(users))
    with native_output_captured():
        trainer = _pretrain(plan, images, progress, stop)
        encoder, encoder_steps = None, 0
        if plan.config.encoder_steps and not (stop and stop.is_set()):
            trainer.grow_to_full_size()
            trainer.standing_statistics()
            encoder, encoder_steps, _ = train_encoder(trainer.sampler, images, plan.config, progress, stop)
        adapt_steps = _adapted_to_codes(trainer, encoder, images, plan.config, progress, stop)
        upscaler, upscaler_steps = None, 0
        if larger is not None and not (stop and stop.is_set()):
            upscaler, upscaler_steps, _ = train_upscaler(larger, plan.config, progress, stop)
        phases.info("saving the base in %s", out)
        trainer.save_base(out, encoder, upscaler)
    return PretrainReport(users, len(images), skipped, trainer.steps_done, str(Path(out)), plan.config.to_dict(),
                          trainer.resumed_from_step, bool(stop and stop.is_set()), encoder_steps, upscaler_steps,
                          adapt_steps)


def _adapted_to_codes(trainer, encoder, images: np.ndarray, config: Config, progress, stop) -> int:
    """Teach the pretrained models to draw at the encoder's codes (adapting.py), in place; the steps done."""
    from devface_core.adapting import adapt_to_codes

    if encoder is None or not config.adapt_steps or (stop and stop.is_set()):
        return 0
    adaptation, steps, _ = adapt_to_codes(trainer.sampler, trainer.discriminator, encoder, images, config, progress,
                                          stop)
    for model, adapted in ((trainer.sampler, adaptation.average), (trainer.generator, adaptation.generator),
                           (trainer.discriminator, adaptation.discriminator)):
        model.set_weights(adapted.get_weights())
    return steps


def _pretrain(plan: TrainingPlan, images: np.ndarray, progress, stop):
    """Train a base's models (checkpoints directly in checkpoint_dir), a contact sheet per snapshot; the trainer."""
    from devface_core.gan.trainer import Trainer  # TensorFlow loads only when training starts
    from devface_core.gan.training_log import training_log

    config = plan.config
    trainer = Trainer(plan, config.checkpoint_dir)
    with training_log(config.log_dir, "pretrain") as log:
        for snapshot in trainer.train(images, log.following(progress), stop):
            log.snapshot(snapshot)
            if config.contact_sheets:  # one file per snapshot: hours of them would not fit one sheet
                write_contact_sheet(config.contact_sheets, f"pretrain-step-{snapshot.step:07d}", [snapshot])
    return trainer


def _train_and_select(training_set, user_id, plan: TrainingPlan, progress, timings):
    """Train (resuming where asked) and choose the snapshot to publish; (selection, trainer)."""
    from devface_core.gan.checkpoints import user_checkpoint_dir  # TensorFlow loads only when training starts
    from devface_core.gan.trainer import Trainer
    from devface_core.gan.training_log import training_log

    config = plan.config
    started = time.perf_counter()
    checkpoint_dir = user_checkpoint_dir(config.checkpoint_dir, user_id) if config.checkpoint_dir else None
    trainer = Trainer(plan, checkpoint_dir)
    limit = f", at most {plan.step_limit} steps" if plan.step_limit else ""
    phases.info("%s: training on %d images (%d epochs%s)", user_id, len(training_set.images), config.epochs, limit)
    with training_log(config.log_dir, encoded_user_id(user_id)) as log:
        snapshots = [log.snapshot(s) for s in trainer.train(training_set.images, log.following(progress))]
    if config.save_generator and config.personalize == "finetune":  # both: _draw_and_select saves the tuned copy
        trainer.save_generator(config.save_generator)
    if config.contact_sheets:
        sheet = write_contact_sheet(config.contact_sheets, user_id, snapshots)
        logger.info("user %r: contact sheet of %d snapshots at %s", user_id, len(snapshots), sheet)
    timings["train"] = time.perf_counter() - started
    phases.info("%s: trained %d steps in %.0f s", user_id, trainer.steps_done, timings["train"])
    if config.personalize == "both":
        return _draw_and_select(training_set, user_id, plan, trainer, timings), trainer
    started = time.perf_counter()
    phases.info("%s: selecting (%s) among %d snapshots", user_id, config.select, len(snapshots))
    selection = select_snapshot(snapshots, config.select, training_set.images)
    timings["select"] = time.perf_counter() - started
    return selection, trainer


def _draw_and_select(training_set, user_id, plan: TrainingPlan, trainer, timings) -> Selection:
    """Draw faces near the likes' codes (by the fine-tuned sampler when given a trainer, else the
    base's) and choose one to publish."""
    from devface_core.gan import latent_pool  # TensorFlow loads only when faces are drawn

    config = plan.config
    started = time.perf_counter()
    if trainer is not None:
        trainer.standing_statistics()
    with latent_pool.lent(config, trainer.sampler if trainer else None) as base:
        faces = base.faces_for(config, training_set.images)
        if config.save_generator:  # the sampler that drew the faces, tuned to this user's likes
            base.sampler.save(config.save_generator)
    snapshot = Snapshot(step=trainer.steps_done if trainer else 0, images=faces, epoch=trainer.epochs_done if trainer else 0)
    timings["draw"] = time.perf_counter() - started
    if config.contact_sheets:
        write_contact_sheet(config.contact_sheets, user_id, [snapshot])
    phases.info("%s: drew %d faces from the likes' codes in %.1f s; selecting (%s)", user_id, len(faces),
                timings["draw"], config.select)
    started = time.perf_counter()
    selection = select_snapshot([snapshot], config.select, training_set.images)
    timings["select"] = time.perf_counter() - started
    return selection


def published_image(selection: Selection, config: Config, user_id: str,
                    detail_likes: np.ndarray | None = None) -> PublishedImage:
    """The chosen sample, through the base's upscaler when it has one (upscaling.detail_side) with the finest
    detail of `detail_likes`, resized to the output size as PNG, with metadata a sink may store."""
    width, height = config.output_size
    face = selection.snapshot.images[selection.sample_index]
    pixels = upscaled_face(config, face, detail_likes)
    lent = len(detail_likes) if detail_likes is not None and pixels.shape[0] > face.shape[0] else 0
    png = encode_png(resize_array(pixels, width, height))
    metadata = {"user_id": user_id, "reason": selection.reason, "config": config.to_dict(),
                "detail_size": int(pixels.shape[0]), "detail_likes": lent}
    return PublishedImage(png, width, height, selection.snapshot.step, selection.snapshot.epoch, selection.score,
                          metadata)


def _report(user_id, training_set, selection, trainer, uri, timings, config, metadata) -> RunReport:
    """The run's report; a run that drew at the likes' codes alone (no trainer) trained no steps."""
    return RunReport(
        user_id=user_id,
        images_read=training_set.images_read,
        images_used=len(training_set.images),
        skipped=training_set.skipped,
        epochs=trainer.epochs_done if trainer else 0,
        steps=trainer.steps_done if trainer else 0,
        snapshot_step=selection.snapshot.step,
        snapshot_epoch=selection.snapshot.epoch,
        sample_index=selection.sample_index,
        score=selection.score,
        selection_reason=selection.reason,
        published_uri=uri,
        timings_s={name: round(seconds, 4) for name, seconds in timings.items()},
        config=config.to_dict(),
        resumed_from_step=trainer.resumed_from_step if trainer else None,
        personalization=config.personalize,
        detail_size=metadata["detail_size"],
        detail_likes=metadata["detail_likes"],
    )


def _describe(adapter: object) -> str:
    """How an adapter names itself in messages (adapters provide `describe()`; never credentials)."""
    describe = getattr(adapter, "describe", None)
    return describe() if callable(describe) else type(adapter).__name__
