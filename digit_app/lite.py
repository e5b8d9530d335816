"""LiteRT: a Keras model converted to a flatbuffer, and run from it without TensorFlow.

Serving needs only `ai-edge-litert` (a few MB, ~0.1 s to import); TensorFlow is imported only to
convert a model, once, when it is trained or first loaded.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

BATCH = 256  # inputs per call of the batch interpreter


class LiteRunner:
    """One converted model: a one-thread interpreter for a single input, another resized to each batch.

    `shape` is one input's shape and `outputs` one answer's size; a flatbuffer that does not take
    and give those is refused with a ValueError.
    """

    def __init__(self, flat: bytes, shape: tuple[int, ...], outputs: int) -> None:
        self.flat, self.shape, self.outputs = flat, shape, outputs
        self._single = _allocated(flat, threads=1)
        source, answer = self._single.get_input_details()[0], self._single.get_output_details()[0]
        self._ends = source["index"], answer["index"]  # looked up once: LiteRT builds both lists anew at each ask
        given, answers = tuple(source["shape"][1:]), tuple(answer["shape"][1:])
        if given != shape or answers != (outputs,):
            raise ValueError(f"a LiteRT model takes {given} and gives {answers}, not {shape} and ({outputs},)")
        self._batch: Any = None
        self._lock, self._batch_lock = threading.Lock(), threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) == 1:
            with self._lock:
                return _invoke(self._single, batch, *self._ends)
        chunks = []
        with self._batch_lock:
            if self._batch is None:
                self._batch = _allocated(self.flat, threads=2)
            for start in range(0, len(batch), BATCH):
                chunk = np.ascontiguousarray(batch[start : start + BATCH])
                source = self._batch.get_input_details()[0]
                if tuple(source["shape"]) != chunk.shape:
                    self._batch.resize_tensor_input(source["index"], list(chunk.shape))
                    self._batch.allocate_tensors()
                chunks.append(_invoke(self._batch, chunk, source["index"],
                                      self._batch.get_output_details()[0]["index"]))
        return np.concatenate(chunks) if chunks else np.zeros((0, self.outputs), np.float32)


def convert(model: Any) -> bytes:
    """One Keras model as a LiteRT flatbuffer (TensorFlow's converter talks on the terminal: kept quiet)."""
    import tensorflow as tf

    with quiet_output():
        return tf.lite.TFLiteConverter.from_keras_model(model).convert()


@contextlib.contextmanager
def quiet_output() -> Iterator[None]:
    """Silence stdout and stderr for a moment, at the file-descriptor level.

    TensorFlow's C++ layers and its model converter print there directly, around Python.
    """
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    try:
        for fd in saved:
            os.dup2(devnull, fd)
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


def _allocated(flat: bytes, threads: int) -> Any:
    """A LiteRT interpreter ready to run; LiteRT's line about its CPU delegate is kept off the terminal."""
    from ai_edge_litert.interpreter import Interpreter

    with quiet_output():
        interpreter = Interpreter(model_content=flat, num_threads=threads)
        interpreter.allocate_tensors()
    return interpreter


def _invoke(interpreter: Any, batch: np.ndarray, source: int, answer: int) -> np.ndarray:
    interpreter.set_tensor(source, batch)
    interpreter.invoke()
    return interpreter.get_tensor(answer).copy()
