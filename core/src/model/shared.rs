//! Copy-on-write storage for the large register arrays, with a cached content digest.
//!
//! A machine holds kilobytes of register contents (a CPU's Z registers are `32·VL` bytes at
//! its largest VL: 2 KiB at 512 bits, 8 KiB at the architectural maximum; a `sve_state`
//! buffer is `546·VQ` bytes), and most operations change one or two of those arrays. A
//! [`Shared`] makes cloning a machine (the session's checkpoints, explore's successor
//! states, the oracle's "what would the task read" simulation) a reference-count increment
//! per array; the first write to a shared array copies it (`Rc::make_mut`). Reading goes
//! through `Deref`, writing through `DerefMut`, so model code indexes a `Shared` like the
//! array it holds.
//!
//! The count is not atomic (a write checks it, and the model writes registers at every
//! step): a machine lives on one thread, and explore's workers each build their own. (The
//! `compare-stateright` bench feature makes it atomic: that checker moves states between
//! threads.)
//!
//! The digest: explore keys states by a fingerprint of everything in them. A `Shared`
//! hashes as the 128-bit digest of its contents ([`Fp128`]), computed at most once per
//! version of the contents (a write clears it), so an array that did not change costs 16
//! bytes of hashing instead of kilobytes. Contents that name tasks (a register file's
//! origins: which task wrote each register) hash differently under each of explore's task
//! renumberings, so their digest is kept with the numbering it was taken under
//! ([`Digest::numbering`]), for the last two numberings, and taken again under another.
//! Exact keys need the contents themselves: inside [`hash_contents`], a `Shared` hashes as
//! its contents.

use crate::model::digest::Fp128;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::Cell;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
/// The reference count of everything a machine's copies share (this storage, names, the
/// configuration's vector lengths).
#[cfg(not(feature = "compare-stateright"))]
pub(crate) use std::rc::Rc;
// The stateright checker moves states between its threads: with the comparison bench's
// feature the count is atomic, and so is the digest's cell.
#[cfg(feature = "compare-stateright")]
pub(crate) use std::sync::Arc as Rc;

/// Copy-on-write contents with a cached digest.
pub struct Shared<T>(Rc<Inner<T>>);

#[derive(Clone)]
struct Inner<T> {
    value: T,
    digest: DigestCell,
}

/// The digests taken under the last two numberings ([`Digest::numbering`]), newest
/// first: contents that name tasks are keyed under one renumbering or another (with two
/// tasks, the identity or the swap), and a state and its mirror image alternate.
type Slots = [Option<(u64, u128)>; 2];

/// The one place the slots are read and written, whatever holds them.
fn lookup(slots: &Slots, numbering: u64) -> Option<u128> {
    slots
        .iter()
        .flatten()
        .find(|(n, _)| *n == numbering)
        .map(|(_, d)| *d)
}

fn remember(slots: &mut Slots, numbering: u64, digest: u128) {
    slots[1] = slots[0];
    slots[0] = Some((numbering, digest));
}

#[cfg(not(feature = "compare-stateright"))]
#[derive(Clone, Default)]
struct DigestCell(Cell<Slots>);

#[cfg(not(feature = "compare-stateright"))]
impl DigestCell {
    fn get(&self, numbering: u64) -> Option<u128> {
        lookup(&self.0.get(), numbering)
    }
    fn set(&self, numbering: u64, digest: u128) {
        let mut slots = self.0.get();
        remember(&mut slots, numbering, digest);
        self.0.set(slots);
    }
    fn clear(&mut self) {
        *self.0.get_mut() = [None; 2];
    }
}

#[cfg(feature = "compare-stateright")]
#[derive(Default)]
struct DigestCell(std::sync::Mutex<Slots>);

#[cfg(feature = "compare-stateright")]
impl DigestCell {
    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn get(&self, numbering: u64) -> Option<u128> {
        lookup(&self.slots(), numbering)
    }
    fn set(&self, numbering: u64, digest: u128) {
        remember(&mut self.slots(), numbering, digest);
    }
    fn clear(&mut self) {
        *self.0.get_mut().unwrap_or_else(|e| e.into_inner()) = [None; 2];
    }
}

#[cfg(feature = "compare-stateright")]
impl Clone for DigestCell {
    fn clone(&self) -> Self {
        DigestCell(std::sync::Mutex::new(*self.slots()))
    }
}

/// Contents a [`Shared`] can hold: how long a digest of them stays valid. Every kind of
/// contents says it (there is no default), so contents that name a task or a CPU cannot
/// be cached across explore's renumberings by mistake.
pub trait Digest: Hash {
    /// Under which numbering of tasks the contents hash now: a digest taken under the same
    /// number is valid (`None`: not one to cache). Bytes name no task and hash alike under
    /// every numbering ([`ANY_NUMBERING`]); register origins name tasks, whose numbers
    /// explore's renumbering changes ([`crate::model::types::Renumbering::task_tag`]).
    fn numbering() -> Option<u64>;
}

/// The numbering of contents that name no task or CPU: every numbering.
pub const ANY_NUMBERING: Option<u64> = Some(0);

impl<const N: usize> Digest for [u8; N] {
    fn numbering() -> Option<u64> {
        ANY_NUMBERING
    }
}

impl Digest for Vec<u8> {
    fn numbering() -> Option<u64> {
        ANY_NUMBERING
    }
}

/// V0–V31 values.
impl Digest for [u128; 32] {
    fn numbering() -> Option<u64> {
        ANY_NUMBERING
    }
}

impl<T> Shared<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Shared<T> {
        Shared(Rc::new(Inner {
            value,
            digest: DigestCell::default(),
        }))
    }

    /// Do `a` and `b` share their storage (so their contents are equal)?
    pub fn ptr_eq(a: &Shared<T>, b: &Shared<T>) -> bool {
        Rc::ptr_eq(&a.0, &b.0)
    }
}

impl<T: Digest> Shared<T> {
    /// The 128-bit digest of the contents (what `Hash` writes), under the numbering in
    /// effect.
    pub fn digest(&self) -> u128 {
        let numbering = T::numbering();
        if let Some(d) = numbering.and_then(|now| self.0.digest.get(now)) {
            return d;
        }
        let mut h = Fp128::default();
        self.0.value.hash(&mut h);
        let d = h.finish128();
        if let Some(now) = numbering {
            self.0.digest.set(now, d);
        }
        d
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    /// Copies the contents first if another machine shares them; forgets the digest.
    fn deref_mut(&mut self) -> &mut T {
        let inner = Rc::make_mut(&mut self.0);
        inner.digest.clear();
        &mut inner.value
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared::new(T::default())
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Shared::ptr_eq(self, other) || self.0.value == other.0.value
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.value.fmt(f)
    }
}

thread_local! {
    static CONTENTS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every [`Shared`] hashing as its contents rather than their digest (for
/// keys that must be exact: two different contents can share a digest, with probability
/// about 2^-128).
pub fn hash_contents<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            CONTENTS.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CONTENTS.with(|c| c.replace(true)));
    f()
}

impl<T: Digest> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if CONTENTS.with(Cell::get) {
            self.0.value.hash(state);
        } else {
            state.write_u128(self.digest());
        }
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.value.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Shared::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp<T: Hash>(x: &T) -> u128 {
        let mut h = Fp128::default();
        x.hash(&mut h);
        h.finish128()
    }

    #[test]
    fn a_clone_shares_until_written_and_the_write_does_not_reach_the_original() {
        let a = Shared::new(vec![1u8, 2, 3]);
        let mut b = a.clone();
        assert!(Shared::ptr_eq(&a, &b));
        b[0] = 9;
        assert!(!Shared::ptr_eq(&a, &b));
        assert_eq!(*a, vec![1, 2, 3]);
        assert_eq!(*b, vec![9, 2, 3]);
        assert_ne!(a, b);
    }

    #[test]
    fn the_digest_follows_every_write_and_equal_contents_hash_alike() {
        let mut a = Shared::new([0u8; 64]);
        let before = a.digest();
        a[63] = 1;
        assert_ne!(a.digest(), before, "a write forgets the cached digest");
        let b = Shared::new({
            let mut x = [0u8; 64];
            x[63] = 1;
            x
        });
        assert_eq!(a.digest(), b.digest());
        assert_eq!(fp(&a), fp(&b));
        // As contents, it hashes like the array itself; as a digest, it does not.
        assert_eq!(hash_contents(|| fp(&a)), fp(&*a));
        assert_ne!(fp(&a), fp(&*a));
    }

    #[test]
    fn hash_contents_restores_the_digest_mode_afterwards_even_when_nested() {
        let a = Shared::new(vec![5u8; 40]);
        let digest_mode = fp(&a);
        hash_contents(|| {
            hash_contents(|| ());
            assert_eq!(fp(&a), fp(&*a));
        });
        assert_eq!(fp(&a), digest_mode);
    }
}
