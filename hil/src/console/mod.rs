//! The console driver (in progress).
