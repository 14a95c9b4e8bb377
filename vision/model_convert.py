"""Convert one TensorFlow.js or TFLite model to a canonical ONNX file.

Runs inside the throwaway converter venv that :mod:`vision.models` creates (tensorflow + tf2onnx,
pinned there), never in the project venv, so it imports nothing from the project.

tf2onnx names nodes from Python object ids, so two conversions of the same model differ in names
only. :func:`canonicalise` renames every node and intermediate tensor by position and clears the
free-text fields: the output is then byte-stable and its sha256 can be pinned.

Usage: python model_convert.py {tfjs|tflite} SOURCE OUTPUT [--batch-input NAME] [--fixed-batch N]
"""
from __future__ import annotations

import argparse
import hashlib
import heapq
import os
import subprocess
import sys
import tempfile

OPSET = 13


def convert(kind: str, source: str, output: str, batch_input: str | None) -> None:
    cmd = [sys.executable, "-m", "tf2onnx.convert", f"--{kind}", source, "--output", output,
           "--opset", str(OPSET)]
    if batch_input:  # e.g. "input_1:0[-1,3,416,416]": a dynamic batch axis on the input
        cmd += ["--inputs", batch_input]
    env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"tf2onnx failed on {source}:\n{done.stderr[-4000:]}")


def make_batch_dynamic(model, fixed: int) -> None:
    """A graph exported with a fixed batch of ``fixed``: batch axis → symbolic, and every Reshape
    target shape (a constant, or constants summed/cast into one) that starts with ``fixed`` starts
    with 0 instead, which ONNX reads as "the input's batch"."""
    from onnx import numpy_helper

    for value in list(model.graph.input) + list(model.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    producer = {out: node for node in model.graph.node for out in node.output}
    inits = {init.name: init for init in model.graph.initializer}
    pending = [n.input[1] for n in model.graph.node if n.op_type == "Reshape"]
    shape_constants, seen = set(), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in inits:
            shape_constants.add(name)
        elif name in producer and producer[name].op_type in ("Add", "Cast", "Concat"):
            pending.extend(producer[name].input)
    for name in shape_constants:
        shape = numpy_helper.to_array(inits[name])
        if shape.ndim == 1 and len(shape) > 1 and shape[0] == fixed:
            shape = shape.copy()
            shape[0] = 0
            inits[name].CopyFrom(numpy_helper.from_array(shape, name))


def canonicalise(model) -> None:
    """Put nodes in a structural order and rename nodes and intermediate tensors by position; drop
    free text. tf2onnx's own node order and names vary between runs, the computation does not.

    Each tensor gets a signature hashed from what computes it (op, attributes, the signatures of
    its inputs; for a constant its bytes), nodes are sorted topologically with ties broken by
    signature, and names follow that order. Graph input and output names stay.
    """
    from onnx import numpy_helper

    graph = model.graph

    def digest(*parts) -> str:
        h = hashlib.sha256()
        for part in parts:
            h.update(part if isinstance(part, bytes) else str(part).encode())
            h.update(b"\0")
        return h.hexdigest()

    signature: dict[str, str] = {"": ""}
    for value in graph.input:
        signature[value.name] = digest("input", value.name)
    for init in graph.initializer:
        array = numpy_helper.to_array(init)
        signature[init.name] = digest("const", array.dtype.str, array.shape, array.tobytes())
    node_sig: list[str] = []
    pending = list(graph.node)
    while pending:   # the stored order is topological, but be safe about it
        rest = []
        for node in pending:
            if any(i not in signature for i in node.input):
                rest.append(node)
                continue
            attrs = [a.SerializeToString(deterministic=True) for a in sorted(node.attribute, key=lambda a: a.name)]
            base = digest(node.op_type, node.domain, *attrs, "|", *(signature[i] for i in node.input))
            for k, out in enumerate(node.output):
                signature[out] = digest(base, k)
        if len(rest) == len(pending):
            raise SystemExit("graph is not a DAG over its inputs and constants")
        pending = rest
    for node in graph.node:
        node_sig.append(digest(*(signature[o] for o in node.output)))

    # Kahn's algorithm, smallest signature first among the nodes that are ready
    available = {v.name for v in graph.input} | {i.name for i in graph.initializer} | {""}
    waiting = list(range(len(graph.node)))
    ready = [(node_sig[i], i) for i in waiting if all(x in available for x in graph.node[i].input)]
    heapq.heapify(ready)
    queued = {i for _, i in ready}
    consumers: dict[str, list[int]] = {}
    for i, node in enumerate(graph.node):
        for x in node.input:
            consumers.setdefault(x, []).append(i)
    order: list[int] = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(i)
        for out in graph.node[i].output:
            available.add(out)
            for j in consumers.get(out, []):
                if j not in queued and all(x in available for x in graph.node[j].input):
                    queued.add(j)
                    heapq.heappush(ready, (node_sig[j], j))
    nodes = [graph.node[i] for i in order]

    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    renames: dict[str, str] = {}

    def new(name: str) -> str:
        if not name or name in keep:
            return name
        if name not in renames:
            renames[name] = f"t{len(renames)}"
        return renames[name]

    rebuilt = []
    for position, node in enumerate(nodes):
        copy = type(node)()
        copy.CopyFrom(node)
        copy.name = f"{node.op_type}_{position}"
        copy.doc_string = ""
        for j, name in enumerate(copy.input):
            copy.input[j] = new(name)
        for j, name in enumerate(copy.output):
            copy.output[j] = new(name)
        rebuilt.append(copy)
    del graph.node[:]
    graph.node.extend(rebuilt)
    inits = [i for i in graph.initializer if i.name in renames or i.name in keep]
    inits.sort(key=lambda i: (0, int(renames[i.name][1:]), "") if i.name in renames else (1, 0, i.name))
    for init in inits:
        init.name = renames.get(init.name, init.name)
    del graph.initializer[:]
    graph.initializer.extend(inits)
    del graph.value_info[:]   # shapes are re-inferred at load; the names in them are not stable
    for value in list(graph.input) + list(graph.output):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param and dim.dim_param != "batch":
                dim.dim_param = ""   # tf2onnx's "unk__123": unstable and meaningless
    graph.name = "citylake"
    graph.doc_string = ""
    model.doc_string = ""
    del model.metadata_props[:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["tfjs", "tflite"])
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--batch-input", help="tf2onnx --inputs spec giving a dynamic batch axis")
    parser.add_argument("--fixed-batch", type=int, help="the graph's fixed batch, made dynamic")
    args = parser.parse_args(argv)
    import onnx

    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.onnx")
        convert(args.kind, args.source, raw, args.batch_input)
        model = onnx.load(raw)
    if args.fixed_batch:
        make_batch_dynamic(model, args.fixed_batch)
    canonicalise(model)
    onnx.checker.check_model(model)
    onnx.save(model, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
