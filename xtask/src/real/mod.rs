//! `cargo xtask real`: the corpus of `tests/real/scenarios/` on both pinned kernels, with
//! the known differences; the booting is `svelab_real`'s, shared with `svelab real`.

pub mod run;
