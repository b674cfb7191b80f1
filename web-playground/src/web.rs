//! The few things the playground asks of the browser: the URL fragment, local storage,
//! the clock, the clipboard, a confirmation, the root element's attributes, and the performance marks the
//! end-to-end test reads. Off the web (native builds and tests) every call is a no-op, so
//! the components compile and their logic can be tested anywhere.
//!
//! Performance marks, on `window.__svelab`:
//! * `ready`: `performance.now()` when the first frame was on the screen (milliseconds
//!   since navigation started);
//! * `steps`: for each step command, the milliseconds from handling the key or click to
//!   the DOM being patched and laid out.

#[cfg(target_arch = "wasm32")]
mod imp {
    use wasm_bindgen::{JsCast, JsValue};

    fn window() -> Option<web_sys::Window> {
        web_sys::window()
    }

    fn document() -> Option<web_sys::Document> {
        window()?.document()
    }

    /// `performance.now()`.
    pub fn now() -> f64 {
        window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }

    fn marks() -> Option<js_sys::Object> {
        let w = window()?;
        let key = JsValue::from_str("__svelab");
        let existing = js_sys::Reflect::get(&w, &key).ok()?;
        if existing.is_object() {
            return existing.dyn_into().ok();
        }
        let o = js_sys::Object::new();
        js_sys::Reflect::set(&o, &JsValue::from_str("steps"), &js_sys::Array::new()).ok()?;
        js_sys::Reflect::set(&w, &key, &o).ok()?;
        Some(o)
    }

    /// Records the time the module started (before the first render).
    pub fn mark_start() {
        if let Some(m) = marks() {
            let _ = js_sys::Reflect::set(&m, &"start".into(), &now().into());
        }
    }

    /// Records the time of the first complete frame.
    pub fn mark_ready() {
        if let Some(m) = marks() {
            let _ = js_sys::Reflect::set(&m, &"ready".into(), &now().into());
        }
        if let Some(e) = document().and_then(|d| d.document_element()) {
            let _ = e.set_attribute("data-ready", "1");
        }
    }

    /// Records how long one step took to reach the screen.
    pub fn mark_step(ms: f64) {
        if let Some(m) = marks() {
            if let Ok(a) = js_sys::Reflect::get(&m, &"steps".into()) {
                if let Ok(a) = a.dyn_into::<js_sys::Array>() {
                    a.push(&ms.into());
                }
            }
        }
    }

    /// Forces style and layout now (so a measured render includes them).
    pub fn force_layout() {
        if let Some(b) = document().and_then(|d| d.body()) {
            let _ = b.offset_height();
        }
    }

    /// The element the app mounts on (`#app`, or the body).
    pub fn app_root() -> web_sys::Element {
        let d = document().expect("a document");
        d.get_element_by_id("app")
            .or_else(|| d.body().map(Into::into))
            .expect("a body")
    }

    /// The URL fragment, with its `#`.
    pub fn location_hash() -> String {
        window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default()
    }

    /// The page's address without the fragment.
    pub fn page_url() -> String {
        window()
            .and_then(|w| w.location().href().ok())
            .map(|h| h.split('#').next().unwrap_or("").to_string())
            .unwrap_or_default()
    }

    /// Replaces the fragment without adding a history entry.
    pub fn replace_hash(fragment: &str) {
        if let Some(w) = window() {
            if let Ok(h) = w.history() {
                let url = if fragment.is_empty() {
                    page_url()
                } else {
                    format!("{}#{fragment}", page_url())
                };
                let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&url));
            }
        }
    }

    fn storage() -> Option<web_sys::Storage> {
        window()?.local_storage().ok()?
    }

    /// `localStorage[key]`.
    pub fn load(key: &str) -> Option<String> {
        storage()?.get_item(key).ok()?
    }

    /// `localStorage[key] = value`.
    pub fn save(key: &str, value: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(key, value);
        }
    }

    /// Sets an attribute on `<html>` (theme, presentation mode).
    pub fn set_root_attr(name: &str, value: &str) {
        if let Some(e) = document().and_then(|d| d.document_element()) {
            let _ = e.set_attribute(name, value);
        }
    }

    /// Does the system prefer a dark theme?
    pub fn prefers_dark() -> bool {
        window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches())
    }

    /// Copies `text` to the clipboard. `Err` says why not: `navigator.clipboard` exists
    /// only on https and localhost pages (touching it elsewhere used to stop the app), and
    /// the browser may refuse.
    pub async fn copy(text: &str) -> Result<(), String> {
        use wasm_bindgen_futures::JsFuture;
        let w = window().ok_or("no window")?;
        let nav = w.navigator();
        let clip = js_sys::Reflect::get(&nav, &JsValue::from_str("clipboard"))
            .map_err(|_| "no clipboard".to_string())?;
        if clip.is_undefined() || clip.is_null() {
            return Err(
                "this browser gives pages a clipboard only over https or on localhost".into(),
            );
        }
        let clip: web_sys::Clipboard = clip.unchecked_into();
        JsFuture::from(clip.write_text(text))
            .await
            .map(|_| ())
            .map_err(|e| {
                e.as_string()
                    .or_else(|| {
                        js_sys::Reflect::get(&e, &JsValue::from_str("message"))
                            .ok()
                            .and_then(|m| m.as_string())
                    })
                    .unwrap_or_else(|| "the browser refused".into())
            })
    }

    /// Asks the user (`window.confirm`); `false` if the page cannot ask.
    pub fn confirm(question: &str) -> bool {
        window()
            .and_then(|w| w.confirm_with_message(question).ok())
            .unwrap_or(false)
    }

    /// Focuses the text field `id` and selects its text.
    pub fn select_text(id: &str) {
        if let Some(e) = document()
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            let _ = e.focus();
            e.select();
        }
    }

    /// GETs `url` (relative to the page) as text.
    pub async fn fetch_text(url: &str) -> Result<String, String> {
        use wasm_bindgen_futures::JsFuture;
        let w = window().ok_or("no window")?;
        let resp = JsFuture::from(w.fetch_with_str(url))
            .await
            .map_err(|e| format!("{e:?}"))?;
        let resp: web_sys::Response = resp.dyn_into().map_err(|_| "not an HTTP response")?;
        if !resp.ok() {
            return Err(format!("HTTP {} for {url}", resp.status()));
        }
        let text = JsFuture::from(resp.text().map_err(|e| format!("{e:?}"))?)
            .await
            .map_err(|e| format!("{e:?}"))?;
        text.as_string().ok_or_else(|| "not text".to_string())
    }

    /// Offers `text` as a file download named `name` (a data: URL on a temporary link).
    pub fn download(name: &str, text: &str) {
        let Some(doc) = document() else { return };
        let Ok(a) = doc.create_element("a") else {
            return;
        };
        let href = format!(
            "data:application/json;charset=utf-8,{}",
            String::from(js_sys::encode_uri_component(text))
        );
        let _ = a.set_attribute("href", &href);
        let _ = a.set_attribute("download", name);
        if let Ok(el) = a.dyn_into::<web_sys::HtmlElement>() {
            el.click();
        }
    }

    /// A fresh random seed (a new student's exercise numbers).
    pub fn random_seed() -> u64 {
        let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        hi << 32 | lo
    }

    /// Focuses the element with `id`.
    pub fn focus(id: &str) {
        if let Some(e) = document()
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = e.focus();
        }
    }

    /// What kind of element has the focus: `("TEXTAREA", id)`.
    pub fn active_element() -> (String, String) {
        document()
            .and_then(|d| d.active_element())
            .map(|e| (e.tag_name(), e.id()))
            .unwrap_or_default()
    }

    /// The line (1-based) of the caret in the textarea `id`.
    pub fn caret_line(id: &str) -> Option<u32> {
        let ta: web_sys::HtmlTextAreaElement =
            document()?.get_element_by_id(id)?.dyn_into().ok()?;
        let pos = ta.selection_start().ok()?? as usize;
        let v = ta.value();
        // selectionStart counts UTF-16 units.
        let mut units = 0;
        let mut line = 1;
        for c in v.chars() {
            if units >= pos {
                break;
            }
            units += c.len_utf16();
            if c == '\n' {
                line += 1;
            }
        }
        Some(line)
    }

    /// Moves the caret of textarea `id` to line `line`, column `col` (1-based) and
    /// focuses it.
    pub fn set_caret(id: &str, line: u32, col: u32) {
        let Some(ta) = document()
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        else {
            return;
        };
        let v = ta.value();
        let mut units = 0u32;
        let (mut l, mut c) = (1, 1);
        for ch in v.chars() {
            if l == line && c == col {
                break;
            }
            if ch == '\n' {
                if l == line {
                    break;
                }
                l += 1;
                c = 1;
            } else {
                c += 1;
            }
            units += ch.len_utf16() as u32;
        }
        let _ = ta.focus();
        let _ = ta.set_selection_range(units, units);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    //! Native stand-ins: nothing to talk to.

    /// Always 0.
    pub fn now() -> f64 {
        0.0
    }
    /// No-op.
    pub fn mark_start() {}
    /// No-op.
    pub fn mark_ready() {}
    /// No-op.
    pub fn mark_step(_ms: f64) {}
    /// No-op.
    pub fn force_layout() {}
    /// Empty.
    pub fn location_hash() -> String {
        String::new()
    }
    /// Empty.
    pub fn page_url() -> String {
        String::new()
    }
    /// No-op.
    pub fn replace_hash(_fragment: &str) {}
    /// Nothing stored.
    pub fn load(_key: &str) -> Option<String> {
        None
    }
    /// No-op.
    pub fn save(_key: &str, _value: &str) {}
    /// No-op.
    pub fn set_root_attr(_name: &str, _value: &str) {}
    /// Light.
    pub fn prefers_dark() -> bool {
        false
    }
    /// No clipboard here.
    pub async fn copy(_text: &str) -> Result<(), String> {
        Err("no clipboard outside a browser".into())
    }
    /// Nobody to ask: yes.
    pub fn confirm(_question: &str) -> bool {
        true
    }
    /// No-op.
    pub fn select_text(_id: &str) {}
    /// Nothing to fetch from.
    pub async fn fetch_text(url: &str) -> Result<String, String> {
        Err(format!("cannot fetch {url} outside a browser"))
    }
    /// No-op.
    pub fn download(_name: &str, _text: &str) {}
    /// A fixed seed.
    pub fn random_seed() -> u64 {
        0x5eed
    }
    /// No-op.
    pub fn focus(_id: &str) {}
    /// Nothing focused.
    pub fn active_element() -> (String, String) {
        (String::new(), String::new())
    }
    /// Unknown.
    pub fn caret_line(_id: &str) -> Option<u32> {
        None
    }
    /// No-op.
    pub fn set_caret(_id: &str, _line: u32, _col: u32) {}
}

pub use imp::*;
