//! Shared helpers of svelab's test suite.
