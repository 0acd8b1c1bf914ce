//! A bounded map that evicts its least recently used entry, with every
//! operation O(1): a hash map from key to slot, and the slots in a vector
//! linked into a list from most to least recently used. Insert, lookup
//! (which refreshes), removal and eviction each touch a constant number of
//! slots, so the cache's mutex is held for the same short time at 100
//! entries and at 400,000.

use core::borrow::Borrow;
use core::hash::Hash;
use std::collections::HashMap;

/// No slot: the end of the list.
const NIL: usize = usize::MAX;

#[derive(Debug)]
struct Slot<K, V> {
    key: K,
    value: V,
    /// The next more recently used slot, or `NIL` at the head.
    newer: usize,
    /// The next less recently used slot, or `NIL` at the tail.
    older: usize,
}

/// At most `capacity` entries; inserting into a full map evicts the least
/// recently used one. A lookup counts as a use.
#[derive(Debug)]
pub(crate) struct Lru<K, V> {
    capacity: usize,
    index: HashMap<K, usize>,
    /// Never longer than `capacity`: a removed entry's slot goes on
    /// `free` and is reused.
    slots: Vec<Option<Slot<K, V>>>,
    free: Vec<usize>,
    /// The most recently used slot.
    head: usize,
    /// The least recently used slot: the next to be evicted.
    tail: usize,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    fn slot(&mut self, at: usize) -> Option<&mut Slot<K, V>> {
        self.slots.get_mut(at).and_then(Option::as_mut)
    }

    /// Takes slot `at` out of the list (it stays in `slots`).
    fn unlink(&mut self, at: usize) {
        let Some((newer, older)) = self.slot(at).map(|s| (s.newer, s.older)) else {
            return;
        };
        match self.slot(newer) {
            Some(slot) => slot.older = older,
            None => self.head = older,
        }
        match self.slot(older) {
            Some(slot) => slot.newer = newer,
            None => self.tail = newer,
        }
    }

    /// Puts slot `at` at the head of the list: the most recently used.
    fn push_front(&mut self, at: usize) {
        let head = self.head;
        if let Some(slot) = self.slot(at) {
            slot.newer = NIL;
            slot.older = head;
        }
        match self.slot(head) {
            Some(slot) => slot.newer = at,
            None => self.tail = at,
        }
        self.head = at;
    }

    /// Empties slot `at` and returns its entry.
    fn release(&mut self, at: usize) -> Option<(K, V)> {
        self.unlink(at);
        let slot = self.slots.get_mut(at)?.take()?;
        self.index.remove(&slot.key);
        self.free.push(at);
        Some((slot.key, slot.value))
    }

    /// The entry under `key`, now the most recently used.
    pub(crate) fn get<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let at = *self.index.get(key)?;
        self.unlink(at);
        self.push_front(at);
        self.slot(at).map(|slot| &mut slot.value)
    }

    /// Stores `value` under `key` as the most recently used entry,
    /// replacing any entry under the same key; when the map is full, the
    /// least recently used entry makes room. Returns what was evicted.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<(K, V)> {
        if self.capacity == 0 {
            return None;
        }
        if let Some(&at) = self.index.get(&key) {
            if let Some(slot) = self.slot(at) {
                slot.value = value;
            }
            self.unlink(at);
            self.push_front(at);
            return None;
        }
        let evicted = match self.index.len() >= self.capacity {
            true => self.release(self.tail),
            false => None,
        };
        let slot = Slot {
            key: key.clone(),
            value,
            newer: NIL,
            older: NIL,
        };
        let at = match self.free.pop() {
            Some(at) => {
                if let Some(free) = self.slots.get_mut(at) {
                    *free = Some(slot);
                }
                at
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        self.index.insert(key, at);
        self.push_front(at);
        evicted
    }

    /// Removes the entry under `key`.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let at = *self.index.get(key)?;
        self.release(at).map(|(_, value)| value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys from most to least recently used, walking the list, with
    /// the links checked both ways.
    fn order(lru: &Lru<u32, u32>) -> Vec<u32> {
        let mut keys = Vec::new();
        let (mut at, mut newer) = (lru.head, NIL);
        while let Some(Some(slot)) = lru.slots.get(at) {
            assert_eq!(slot.newer, newer, "back link of {}", slot.key);
            keys.push(slot.key);
            (newer, at) = (at, slot.older);
        }
        assert_eq!(lru.tail, newer, "tail");
        assert_eq!(keys.len(), lru.len());
        keys
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let mut lru = Lru::new(3);
        for k in 1..=3 {
            assert_eq!(lru.insert(k, k * 10), None);
        }
        assert_eq!(order(&lru), [3, 2, 1]);
        assert_eq!(lru.insert(4, 40), Some((1, 10)));
        assert_eq!(order(&lru), [4, 3, 2]);
    }

    #[test]
    fn a_lookup_refreshes() {
        let mut lru = Lru::new(3);
        for k in 1..=3 {
            lru.insert(k, k);
        }
        assert_eq!(lru.get(&1), Some(&mut 1));
        assert_eq!(order(&lru), [1, 3, 2]);
        assert_eq!(lru.insert(4, 4), Some((2, 2)));
        assert_eq!(lru.get(&2), None);
        assert_eq!(order(&lru), [4, 1, 3]);
    }

    #[test]
    fn replacing_refreshes_and_evicts_nothing() {
        let mut lru = Lru::new(2);
        lru.insert(1, 1);
        lru.insert(2, 2);
        assert_eq!(lru.insert(1, 100), None);
        assert_eq!(order(&lru), [1, 2]);
        assert_eq!(lru.get(&1), Some(&mut 100));
    }

    #[test]
    fn removal_unlinks_head_middle_and_tail() {
        let mut lru = Lru::new(5);
        for k in 1..=5 {
            lru.insert(k, k);
        }
        assert_eq!(lru.remove(&3), Some(3));
        assert_eq!(order(&lru), [5, 4, 2, 1]);
        assert_eq!(lru.remove(&5), Some(5));
        assert_eq!(lru.remove(&1), Some(1));
        assert_eq!(order(&lru), [4, 2]);
        assert_eq!(lru.remove(&1), None);
        assert_eq!(lru.remove(&4), Some(4));
        assert_eq!(lru.remove(&2), Some(2));
        assert_eq!(order(&lru), [] as [u32; 0]);
        assert_eq!((lru.head, lru.tail), (NIL, NIL));
    }

    #[test]
    fn slots_never_outgrow_capacity() {
        // Eviction and removal reuse slots: the vector never grows past
        // the capacity, however many entries come and go.
        let mut lru = Lru::new(4);
        for k in 0..1000 {
            lru.insert(k, k);
            if k % 3 == 0 {
                lru.remove(&(k - k.min(2)));
            }
            assert!(lru.slots.len() <= 4);
        }
        assert_eq!(order(&lru).len(), lru.len());
        assert!(lru.len() <= 4);
    }

    #[test]
    fn zero_capacity_holds_nothing() {
        let mut lru = Lru::new(0);
        assert_eq!(lru.insert(1, 1), None);
        assert_eq!(lru.len(), 0);
        assert_eq!(lru.get(&1), None);
    }
}
