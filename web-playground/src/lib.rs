//! # svelab-web
//!
//! The browser playground: the same [`svelab_core`] model, compiled to WebAssembly, in a
//! page a teacher can put on a projector and a student can open with nothing installed.
//!
//! * [`vm`] — the view model, plain Rust with native tests: the player that drives a
//!   [`svelab_core::Session`], snapshots and diffs, register formatting, the lazy-restore
//!   state diagram, the counter chart, syntax colouring, share links, keyboard shortcuts.
//! * [`ui`] — the yew components that draw it.
//! * [`web`] — the few browser calls (URL, storage, clock, clipboard); no-ops off the web.
//!
//! Build and serve it with `cargo xtask web` and `cargo xtask serve`
//! (see `web-playground/README.md`).

pub mod ui;
pub mod vm;
pub mod web;

/// Mounts the playground on the page's `#app` element (the wasm entry point).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    web::mark_start();
    let root = web::app_root();
    // Replace the "Loading…" placeholder.
    root.set_inner_html("");
    yew::Renderer::<ui::app::App>::with_root(root).render();
}
