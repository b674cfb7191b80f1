#![allow(clippy::print_stdout, clippy::print_stderr)]
//! The `svelab` binary.

fn main() {
    println!("svelab {}", env!("CARGO_PKG_VERSION"));
}
