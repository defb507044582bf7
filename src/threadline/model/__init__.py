"""The canonical model: value types, evidence schema, provenance, markings. Pure, no I/O."""
