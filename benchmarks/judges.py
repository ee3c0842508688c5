"""Judges from outside devface: MTCNN's face confidence and dlib's 128-D face descriptor.

Neither judge is trained on, or tuned to, devface's faces. MTCNN (package `mtcnn`) says whether an image
holds a face and how sure it is; dlib's ResNet descriptor (packages `dlib-bin` and
`face-recognition-models`: the 5-point landmark model and the descriptor network, both shipped in the
wheels) places a face in a space where one person's photos lie within about 0.6 of each other. Both need
the `bench` extra: `pip install -e '.[bench]'`. Images of any size are enlarged (bicubic) to the side each
model was made for, so 64² samples and 256² photos are judged alike.
"""

from __future__ import annotations

import functools
import hashlib
import os

import numpy as np
from PIL import Image

import judge_metrics as metrics

DETECTOR_SIDE = 160  # MTCNN finds faces of 20 px and more; a face filling a 160² frame is well inside
DESCRIPTOR_SIDE = 150  # dlib's face chips are 150²


def enlarged(image: np.ndarray, side: int) -> np.ndarray:
    """An (H, W, 3) uint8 image resized to side×side with bicubic filtering."""
    return np.asarray(Image.fromarray(image).resize((side, side), Image.BICUBIC))


# Every verdict already given in this process, by (judge, shape, the image's SHA-1): likes and reference faces
# are judged again in every row, and by every benchmark that a test runs in the same process.
_KNOWN: dict[tuple, object] = {}


@functools.cache
def _models() -> tuple:
    """MTCNN, dlib's face finder, its 5-point landmarks and its descriptor network, loaded once per process."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import dlib
    import face_recognition_models as models
    from mtcnn import MTCNN

    return (MTCNN(), dlib.get_frontal_face_detector(),
            dlib.shape_predictor(models.pose_predictor_five_point_model_location()),
            dlib.face_recognition_model_v1(models.face_recognition_model_location()))


class FaceJudges:
    """MTCNN and dlib's descriptor. Their models load once per process (a few seconds) and each image is judged
    once per process, whichever instance asks: each judge's verdict on an image depends on that image alone."""

    def __init__(self):
        import dlib

        self._mtcnn, self._finder, self._landmarks, self._describer = _models()
        self._rectangle = dlib.rectangle(0, 0, DESCRIPTOR_SIDE - 1, DESCRIPTOR_SIDE - 1)

    def _once(self, judge: str, image: np.ndarray, measure):
        image = np.ascontiguousarray(image)
        key = (judge, image.shape, hashlib.sha1(image.tobytes()).digest())
        if key not in _KNOWN:
            _KNOWN[key] = measure(image)
        return _KNOWN[key]

    def face_confidence(self, images: np.ndarray) -> np.ndarray:
        """Per image, MTCNN's confidence in its most certain face (0 where it finds none)."""
        return np.array([self._once("mtcnn", image, self._confidence) for image in images])

    def _confidence(self, image: np.ndarray) -> float:
        faces = self._mtcnn.detect_faces(enlarged(image, DETECTOR_SIDE))
        return max((face["confidence"] for face in faces), default=0.0)

    def descriptors(self, images: np.ndarray) -> np.ndarray:
        """(N, 128) dlib face descriptors; a face dlib's detector misses is described in the whole frame
        (the images are face crops)."""
        return np.stack([self._once("dlib", image, self._descriptor) for image in images])

    def _descriptor(self, image: np.ndarray) -> np.ndarray:
        chip = enlarged(image, DESCRIPTOR_SIDE)
        faces = self._finder(chip, 1)
        shape = self._landmarks(chip, faces[0] if faces else self._rectangle)
        return np.array(self._describer.compute_face_descriptor(chip, shape))


def judge(judges: FaceJudges, samples: np.ndarray, likes: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """Every judge's figure for a set of samples: face shares, KID×1000 against `reference` (real faces
    that are not the likes), identity diversity against the likes, distance to the likes' mean, copies."""
    confidence = judges.face_confidence(samples)
    described, liked = judges.descriptors(samples), judges.descriptors(likes)
    return {
        "mtcnn_95": float((confidence >= 0.95).mean()),
        "mtcnn_99": float((confidence >= 0.99).mean()),
        "kid_x1000": 1000.0 * metrics.kid(judges.descriptors(reference), described),
        "diversity_x_likes": metrics.identity_diversity(described, liked),
        "to_likes_mean": metrics.distance_to_likes_mean(described, liked),
        "copies": metrics.identity_copies(described, liked),
        "count": len(samples),
    }


HEADER = (f"{'what':<44} {'n':>4} {'MTCNN≥.95':>9} {'MTCNN≥.99':>9} {'KID×1000':>9} {'diversity×likes':>15} "
          f"{'to likes mean':>13} {'copies':>6}")


def row(label: str, figures: dict[str, float]) -> str:
    """One table row under HEADER."""
    return (f"{label:<44} {figures['count']:>4} {figures['mtcnn_95']:>9.1%} {figures['mtcnn_99']:>9.1%} "
            f"{figures['kid_x1000']:>9.2f} {figures['diversity_x_likes']:>15.2f} {figures['to_likes_mean']:>13.3f} "
            f"{figures['copies']:>6}")
