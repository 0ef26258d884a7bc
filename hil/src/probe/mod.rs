//! Debug probes (to be written).
