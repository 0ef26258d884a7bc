//! Alignment of two key sequences: a longest common subsequence (LCS), then the keys left
//! over on both sides paired as moved (an order change), so that a swapped pair of events
//! reads as one order change rather than as one missing and one extra event.

/// How an item of A relates to one of B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    /// The same key at the same place of the common order.
    Same(usize, usize),
    /// The same key, but out of the common order (A's index, B's index).
    Moved(usize, usize),
    /// Only in A.
    OnlyA(usize),
    /// Only in B.
    OnlyB(usize),
}

/// Aligns `a` with `b`. The result lists every index of both sides once, in the order of
/// A, with B's unmatched items placed after the last common item before them. Ties between
/// equally long common subsequences go to the earliest items of A, so the result is
/// deterministic.
pub fn align<K: PartialEq>(a: &[K], b: &[K]) -> Vec<Pair> {
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: the length of the LCS of a[i..] and b[j..].
    let width = m + 1;
    let mut lcs = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let here = if a.get(i) == b.get(j) {
                cell(&lcs, width, i + 1, j + 1) + 1
            } else {
                cell(&lcs, width, i + 1, j).max(cell(&lcs, width, i, j + 1))
            };
            if let Some(slot) = lcs.get_mut(i * width + j) {
                *slot = here;
            }
        }
    }
    let mut pairs = Vec::with_capacity(n + m);
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a.get(i) == b.get(j) {
            pairs.push(Pair::Same(i, j));
            i += 1;
            j += 1;
        } else if cell(&lcs, width, i + 1, j) >= cell(&lcs, width, i, j + 1) {
            pairs.push(Pair::OnlyA(i));
            i += 1;
        } else {
            pairs.push(Pair::OnlyB(j));
            j += 1;
        }
    }
    pairs.extend((i..n).map(Pair::OnlyA));
    pairs.extend((j..m).map(Pair::OnlyB));
    pair_moves(a, b, pairs)
}

fn cell(table: &[u32], width: usize, i: usize, j: usize) -> u32 {
    table.get(i * width + j).copied().unwrap_or(0)
}

/// Pairs each A-only item with the first B-only item of the same key not yet paired; the
/// pair takes the A item's place and B's item is removed from where it was.
fn pair_moves<K: PartialEq>(a: &[K], b: &[K], pairs: Vec<Pair>) -> Vec<Pair> {
    let mut taken: Vec<usize> = Vec::new();
    let mut moved_a: Vec<(usize, usize)> = Vec::new();
    let only_b: Vec<usize> = pairs
        .iter()
        .filter_map(|p| match p {
            Pair::OnlyB(j) => Some(*j),
            _ => None,
        })
        .collect();
    for p in &pairs {
        if let Pair::OnlyA(i) = p {
            let partner = only_b
                .iter()
                .copied()
                .find(|j| !taken.contains(j) && a.get(*i) == b.get(*j));
            if let Some(j) = partner {
                taken.push(j);
                moved_a.push((*i, j));
            }
        }
    }
    pairs
        .into_iter()
        .filter_map(|p| match p {
            Pair::OnlyA(i) => Some(
                moved_a
                    .iter()
                    .find(|(x, _)| *x == i)
                    .map_or(Pair::OnlyA(i), |&(x, j)| Pair::Moved(x, j)),
            ),
            Pair::OnlyB(j) if taken.contains(&j) => None,
            other => Some(other),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Pair::*;
    use super::*;

    #[test]
    fn identical_sequences_pair_one_to_one() {
        assert_eq!(
            align(&["a", "b", "c"], &["a", "b", "c"]),
            vec![Same(0, 0), Same(1, 1), Same(2, 2)]
        );
    }

    #[test]
    fn an_item_missing_from_b_and_one_extra_in_b() {
        assert_eq!(
            align(&["a", "b", "c"], &["a", "c", "d"]),
            vec![Same(0, 0), OnlyA(1), Same(2, 1), OnlyB(2)]
        );
    }

    #[test]
    fn a_swap_is_one_move() {
        assert_eq!(
            align(
                &["start", "done", "stop", "sched"],
                &["start", "stop", "done", "sched"]
            ),
            vec![Same(0, 0), Moved(1, 2), Same(2, 1), Same(3, 3)]
        );
    }

    #[test]
    fn repeated_keys_pair_in_order() {
        assert_eq!(
            align(&["x", "x", "y"], &["x", "y", "x"]),
            vec![Same(0, 0), Moved(1, 2), Same(2, 1)]
        );
    }

    #[test]
    fn empty_sides() {
        assert_eq!(align::<&str>(&[], &["a"]), vec![OnlyB(0)]);
        assert_eq!(align::<&str>(&["a"], &[]), vec![OnlyA(0)]);
        assert!(align::<&str>(&[], &[]).is_empty());
    }
}
