"""The NumPy dtypes noodle compiles. Kept apart from the dialect builders, which need
the MLIR bindings: the runtime checks argument types without loading MLIR."""

#: NumPy dtypes that noodle compiles, by name.
SUPPORTED_DTYPES = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64",
)
