"""The stages of a run: one for a run at full size, or one per side when growing progressively. A stage
holds its models, its compiled step and its sampling; growing builds the next stage from the last and
fades its new block in."""

from __future__ import annotations

import logging

import attrs
import tensorflow as tf

from devface_core.gan.augment import AdaptiveAugment
from devface_core.gan.growth import GrowthPoint, growth_point, growth_sides
from devface_core.gan.layers import FadeIn
from devface_core.gan.recipe import TrainingPlan
from devface_core.gan.sampling import Sampling
from devface_core.gan.step import GanModels, TrainingStep, build_stage_models

logger = logging.getLogger(__name__)


@attrs.frozen
class Stage:
    """One side's models, compiled step and sampling."""

    index: int
    side: int
    models: GanModels
    step: TrainingStep
    sampling: Sampling


class Stages:
    """Builds a run's stages, all sharing the run's batch RNG, augmentation and fade-in weight."""

    def __init__(self, plan: TrainingPlan, rng: tf.random.Generator, augment: AdaptiveAugment, strategy,
                 standing_noise: tf.Tensor):
        self._plan, self._rng, self._augment, self._strategy = plan, rng, augment, strategy
        self._standing_noise = standing_noise
        self.sides = growth_sides(plan.config)
        self.fade_alpha = tf.Variable(1.0, trainable=False)  # the newest block's share while it fades in

    @property
    def last(self) -> int:
        """The index of the full-size stage."""
        return len(self.sides) - 1

    def build(self, index: int, previous: Stage | None = None) -> Stage:
        """The stage at `index`, its models taking every layer the previous stage's had."""
        side = self.sides[index]
        models = build_stage_models(self._plan, side, index > 0, self._strategy,
                                    previous.models if previous else None)
        if previous:
            logger.info("grown to %d×%d", side, side)
        step = TrainingStep(self._plan, models, self._rng, self._augment,
                            self.fade_alpha if index > 0 else None, self._strategy, side)
        sampling = Sampling(models, self._plan.config.image_size, index == self.last, self._standing_noise)
        return Stage(index, side, models, step, sampling)

    def point(self, spent: float) -> GrowthPoint:
        """Where the schedule stands once a fraction `spent` of the budget is used."""
        return growth_point(self.sides, self._plan.config.grow_share, spent)

    def set_fade(self, stage: Stage, alpha: float) -> None:
        """Set the fade-in weight of the stage's newest block in the step and in every model."""
        self.fade_alpha.assign(alpha)
        for model in stage.models.all():
            for layer in model.layers if model is not None else ():
                if isinstance(layer, FadeIn):
                    layer.alpha.assign(alpha)
