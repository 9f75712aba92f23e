"""Minimal GGUF v3 writer (no external dependencies beyond numpy).

Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
Only what the tiny-kjv-chat build needs: scalar / string / array metadata
and F32 / F16 tensors, 32-byte alignment, little endian.
"""
import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGNMENT = 32

# metadata value types
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, \
    T_STRING, T_ARRAY, T_UINT64, T_INT64, T_FLOAT64 = range(13)

# ggml tensor types
GGML_F32 = 0
GGML_F16 = 1
GGML_Q8_0 = 8
Q8_0_BLOCK = 32

_SCALAR_FMT = {
    T_UINT8: "<B", T_INT8: "<b", T_UINT16: "<H", T_INT16: "<h",
    T_UINT32: "<I", T_INT32: "<i", T_FLOAT32: "<f", T_BOOL: "<?",
    T_UINT64: "<Q", T_INT64: "<q", T_FLOAT64: "<d",
}


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


class _Raw:
    """A tensor already encoded (quantized): its logical shape and its bytes."""

    def __init__(self, shape, data):
        self.shape = shape
        self.data = data


class GGUFWriter:
    def __init__(self):
        self.kv = []        # (key, type, value, elem_type)
        self.tensors = []   # (name, np.ndarray, ggml_type)

    # ---- metadata -------------------------------------------------------
    def add(self, key, vtype, value):
        self.kv.append((key, vtype, value, None))

    def add_string(self, key, value):
        self.add(key, T_STRING, value)

    def add_u32(self, key, value):
        self.add(key, T_UINT32, int(value))

    def add_i32(self, key, value):
        self.add(key, T_INT32, int(value))

    def add_f32(self, key, value):
        self.add(key, T_FLOAT32, float(value))

    def add_bool(self, key, value):
        self.add(key, T_BOOL, bool(value))

    def add_array(self, key, elem_type, values):
        self.kv.append((key, T_ARRAY, list(values), elem_type))

    # ---- tensors --------------------------------------------------------
    def add_tensor(self, name, array, ggml_type):
        """array: numpy array in torch/row-major shape; GGUF dims are written
        reversed (ne[0] = innermost, contiguous dimension)."""
        dtype = {GGML_F32: np.float32, GGML_F16: np.float16}[ggml_type]
        self.tensors.append((name, np.ascontiguousarray(array, dtype=dtype), ggml_type))

    def add_tensor_q8_0(self, name, array):
        """Q8_0: blocks of 32 values along the innermost dimension, each an f16 scale (max |x| / 127) and 32 int8."""
        rows = np.ascontiguousarray(array, dtype=np.float32)
        if rows.shape[-1] % Q8_0_BLOCK:
            raise ValueError(f"{name}: innermost dimension {rows.shape[-1]} is not a multiple of {Q8_0_BLOCK}")
        blocks = rows.reshape(-1, Q8_0_BLOCK)
        scale = np.abs(blocks).max(axis=1) / 127.0
        safe = np.where(scale == 0, 1.0, scale)
        quants = np.clip(np.rint(blocks / safe[:, None]), -127, 127).astype(np.int8)
        packed = np.empty(len(blocks), dtype=[("d", "<f2"), ("qs", "i1", Q8_0_BLOCK)])
        packed["d"] = scale.astype(np.float16)
        packed["qs"] = quants
        self.tensors.append((name, _Raw(rows.shape, packed.tobytes()), GGML_Q8_0))

    # ---- serialisation --------------------------------------------------
    @staticmethod
    def _value(vtype, value):
        if vtype == T_STRING:
            return _str(value)
        return struct.pack(_SCALAR_FMT[vtype], value)

    def to_bytes(self):
        out = bytearray()
        out += GGUF_MAGIC
        out += struct.pack("<I", GGUF_VERSION)
        out += struct.pack("<Q", len(self.tensors))
        out += struct.pack("<Q", len(self.kv))
        for key, vtype, value, elem_type in self.kv:
            out += _str(key)
            out += struct.pack("<I", vtype)
            if vtype == T_ARRAY:
                out += struct.pack("<I", elem_type)
                out += struct.pack("<Q", len(value))
                for v in value:
                    out += self._value(elem_type, v)
            else:
                out += self._value(vtype, value)
        offset = 0
        blobs = []
        for name, arr, gtype in self.tensors:
            out += _str(name)
            dims = list(reversed(arr.shape))
            out += struct.pack("<I", len(dims))
            for d in dims:
                out += struct.pack("<Q", d)
            out += struct.pack("<I", gtype)
            out += struct.pack("<Q", offset)
            data = arr.data if isinstance(arr, _Raw) else arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
            pad = (-len(data)) % ALIGNMENT
            blobs.append(data + b"\0" * pad)
            offset += len(data) + pad
        out += b"\0" * ((-len(out)) % ALIGNMENT)
        for b in blobs:
            out += b
        return bytes(out)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.to_bytes())
