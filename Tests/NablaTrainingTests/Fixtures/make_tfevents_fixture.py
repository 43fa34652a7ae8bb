"""Writes python.tfevents, a TensorBoard event file written by TensorBoard's own writer, which
LoggingTests reads with Nabla's reader.

Made with tensorboard 2.21.0 in a virtual environment outside the repository:

    python3 -m venv /tmp/tbenv && /tmp/tbenv/bin/pip install tensorboard
    /tmp/tbenv/bin/python Tests/NablaTrainingTests/Fixtures/make_tfevents_fixture.py \
        Tests/NablaTrainingTests/Fixtures/python.tfevents

The events: steps 1 to 5 of "train/loss" (1/step) and "test/accuracy" (90 + step), one event
with a negative step (-3, "negative" = -2.5), one value carrying scalar-plugin metadata
("with metadata" = 7.25), one value holding only a tensor (skipped by a simple_value reader),
and a tag outside ASCII ("ünï/λ" = 0.125). Wall times are 1700000000 + step.
"""

import glob
import os
import shutil
import sys
import tempfile

from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter


def scalar_event(step, values, wall_time=None):
    summary = summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, simple_value=value) for tag, value in values]
    )
    return event_pb2.Event(
        wall_time=1700000000 + step if wall_time is None else wall_time, step=step, summary=summary
    )


def main(output):
    directory = tempfile.mkdtemp()
    writer = EventFileWriter(directory)
    for step in range(1, 6):
        writer.add_event(scalar_event(step, [("train/loss", 1 / step), ("test/accuracy", 90 + step)]))
    writer.add_event(scalar_event(-3, [("negative", -2.5)]))
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
    )
    with_metadata = summary_pb2.Summary.Value(tag="with metadata", simple_value=7.25, metadata=metadata)
    tensor_only = summary_pb2.Summary.Value(
        tag="tensor only",
        tensor=tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.5]),
        metadata=metadata,
    )
    writer.add_event(
        event_pb2.Event(
            wall_time=1700000006, step=6, summary=summary_pb2.Summary(value=[with_metadata, tensor_only])
        )
    )
    writer.add_event(scalar_event(7, [("ünï/λ", 0.125)]))
    writer.close()
    (path,) = glob.glob(os.path.join(directory, "events.out.tfevents.*"))
    shutil.copyfile(path, output)
    shutil.rmtree(directory)


if __name__ == "__main__":
    main(sys.argv[1])
