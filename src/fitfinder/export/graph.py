"""A small ONNX graph builder: typed inputs, constants, nodes with unique names, inlined models."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 21  # the default domain
ML_OPSET = 5  # ai.onnx.ml: TreeEnsemble with set-membership splits needs version 5
ML = "ai.onnx.ml"
DOUBLE, FLOAT, INT64, STRING = (
    TensorProto.DOUBLE,
    TensorProto.FLOAT,
    TensorProto.INT64,
    TensorProto.STRING,
)


class Graph:
    """Nodes, constants and inputs accumulated in order; ``model()`` returns the ModelProto."""

    def __init__(self, name: str = "fitfinder"):
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self.opsets: dict[str, int] = {"": OPSET, ML: ML_OPSET}
        self._count = 0

    def unique(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def input(self, name: str, elem_type: int, width: int = 1) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, [None, width]))
        return name

    def output(self, name: str, tensor: str, elem_type: int, shape: list) -> None:
        self.nodes.append(helper.make_node("Identity", [tensor], [name], name=self.unique("out")))
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))

    def const(self, value, hint: str = "const") -> str:
        """A constant tensor from a numpy array (or anything ``np.asarray`` takes)."""
        name = self.unique(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], *, domain: str = "", **attrs) -> str:
        """Add one node with a single output; returns the output's name."""
        out = self.unique(op_type.lower())
        node = helper.make_node(
            op_type, inputs, [out], name=self.unique(op_type), domain=domain, **attrs
        )
        self.nodes.append(node)
        return out

    def floor_div(self, x: str, divisor: float) -> str:
        return self.op("Floor", [self.op("Div", [x, self.const(np.float64(divisor))])])

    def scale(self, x: str, factor: float, offset: float = 0.0) -> str:
        """``x * factor + offset`` in double."""
        scaled = self.op("Mul", [x, self.const(np.float64(factor))])
        return self.op("Add", [scaled, self.const(np.float64(offset))]) if offset else scaled

    def two_classes(self, margin: str) -> str:
        """``[1 - sigmoid, sigmoid]`` [N, 2] of a [N, 1] double margin."""
        positive = self.op("Sigmoid", [margin])
        negative = self.op("Sub", [self.const(np.ones((1, 1))), positive])
        return self.op("Concat", [negative, positive], axis=1)

    def inline(self, model: onnx.ModelProto, feeds: dict[str, str], prefix: str) -> list[str]:
        """Copy ``model``'s graph in, its inputs wired to ``feeds``; returns its output names."""
        graph = model.graph
        rename = dict(feeds)

        def name(old: str) -> str:
            if not old:
                return old
            return rename.setdefault(old, f"{prefix}{old}")

        for tensor in graph.initializer:
            copy = onnx.TensorProto()
            copy.CopyFrom(tensor)
            copy.name = name(tensor.name)
            self.initializers.append(copy)
        for node in graph.node:
            copy = onnx.NodeProto()
            copy.CopyFrom(node)
            copy.name = f"{prefix}{node.name}"
            copy.input[:] = [name(n) for n in node.input]
            copy.output[:] = [name(n) for n in node.output]
            self.nodes.append(copy)
        for opset in model.opset_import:
            self.opsets[opset.domain] = max(self.opsets.get(opset.domain, 0), opset.version)
        return [name(out.name) for out in graph.output]

    def model(self) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes, self.name, self.inputs, self.outputs, initializer=self.initializers
        )
        opsets = [helper.make_opsetid(domain, v) for domain, v in self.opsets.items()]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="fitfinder")
        model.ir_version = min(model.ir_version, 10)  # readable by onnxruntime >= 1.18
        return model
