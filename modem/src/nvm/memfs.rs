//! An in-memory file system with a power-cut model, for the NVM's crash tests and for
//! scenarios that cut the power of a simulated device.
//!
//! Model: every file is an inode with its *current* content and its *durable* content (as of
//! its last fsync); the directory has its *current* entries and its *durable* entries (as of
//! the last fsync of the directory). A power cut is armed with a budget of write units: each
//! mutating call costs one unit, except `write`, which costs one unit per
//! [`MemFs::set_write_unit`] bytes and, when the budget runs out in the middle, stores only
//! the prefix it could (a torn write). Once the budget is spent every mutating call fails.
//! [`MemFs::crash`] then gives the file system as found after power-up, under one of four
//! [`CrashMode`]s: unsynced names and unsynced data each either survive or are lost.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::fs::{parent_dir, NvmFs};

/// What survives a power cut besides what was fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CrashMode {
    /// Directory changes (create, rename, remove) not yet made durable by a directory fsync
    /// survive.
    pub keep_unsynced_names: bool,
    /// File contents written (possibly torn) but not yet fsynced survive.
    pub keep_unsynced_data: bool,
}

impl CrashMode {
    /// Only what was fsynced survives.
    pub const PESSIMISTIC: Self = Self {
        keep_unsynced_names: false,
        keep_unsynced_data: false,
    };
    /// Everything issued before the cut reached the disk.
    pub const OPTIMISTIC: Self = Self {
        keep_unsynced_names: true,
        keep_unsynced_data: true,
    };
    /// The four combinations.
    pub const ALL: [Self; 4] = [
        Self::PESSIMISTIC,
        Self {
            keep_unsynced_names: true,
            keep_unsynced_data: false,
        },
        Self {
            keep_unsynced_names: false,
            keep_unsynced_data: true,
        },
        Self::OPTIMISTIC,
    ];
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
}

/// An in-memory [`NvmFs`] with a power-cut budget (see the module docs).
#[derive(Debug, Clone)]
pub struct MemFs {
    inodes: Vec<Inode>,
    names: BTreeMap<PathBuf, usize>,
    durable_names: BTreeMap<PathBuf, usize>,
    budget: Option<u64>,
    used: u64,
    cut: bool,
    write_unit: usize,
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

fn power_cut() -> io::Error {
    io::Error::other("simulated power cut")
}

impl MemFs {
    /// An empty file system with no power cut armed and one unit per written byte.
    pub fn new() -> Self {
        Self {
            inodes: Vec::new(),
            names: BTreeMap::new(),
            durable_names: BTreeMap::new(),
            budget: None,
            used: 0,
            cut: false,
            write_unit: 1,
        }
    }

    /// Arms a power cut after `units` more write units (`None`: never).
    pub fn set_power_budget(&mut self, units: Option<u64>) {
        self.budget = units;
        self.cut = false;
    }

    /// How many bytes one write unit covers (at least 1). Larger units make exhaustive
    /// cut-point tests cheaper; torn writes then stop at multiples of the unit.
    pub fn set_write_unit(&mut self, bytes: usize) {
        self.write_unit = bytes.max(1);
    }

    /// Write units consumed so far.
    pub fn units_used(&self) -> u64 {
        self.used
    }

    /// Whether the armed power cut has struck.
    pub fn was_cut(&self) -> bool {
        self.cut
    }

    /// The current content of `path` as a reader would see it now.
    pub fn contents(&self, path: &Path) -> Option<&[u8]> {
        let inode = self.names.get(path)?;
        self.inodes.get(*inode).map(|i| i.data.as_slice())
    }

    /// Every current path.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.names.keys().cloned().collect()
    }

    /// The file system after a power cut and power-up, under `mode`. The result has no cut
    /// armed.
    pub fn crash(&self, mode: CrashMode) -> MemFs {
        let names = if mode.keep_unsynced_names {
            self.names.clone()
        } else {
            self.durable_names.clone()
        };
        let inodes = self
            .inodes
            .iter()
            .map(|i| {
                let data = if mode.keep_unsynced_data {
                    i.data.clone()
                } else {
                    i.durable.clone()
                };
                Inode {
                    durable: data.clone(),
                    data,
                }
            })
            .collect();
        MemFs {
            inodes,
            durable_names: names.clone(),
            names,
            budget: None,
            used: 0,
            cut: false,
            write_unit: self.write_unit,
        }
    }

    /// Spends `units` of the budget; `Err` (and the cut) when not enough is left.
    fn spend(&mut self, units: u64) -> io::Result<()> {
        if self.cut {
            return Err(power_cut());
        }
        if let Some(budget) = self.budget {
            if budget < units {
                self.used += budget;
                self.budget = Some(0);
                self.cut = true;
                return Err(power_cut());
            }
            self.budget = Some(budget - units);
        }
        self.used += units;
        Ok(())
    }

    fn inode_mut(&mut self, path: &Path) -> io::Result<&mut Inode> {
        let index = *self
            .names
            .get(path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, path.display().to_string()))?;
        self.inodes
            .get_mut(index)
            .ok_or_else(|| io::Error::other("dangling inode"))
    }
}

impl NvmFs for MemFs {
    fn create(&mut self, path: &Path) -> io::Result<()> {
        self.spend(1)?;
        self.inodes.push(Inode::default());
        self.names.insert(path.to_owned(), self.inodes.len() - 1);
        Ok(())
    }

    fn write(&mut self, path: &Path, data: &[u8]) -> io::Result<()> {
        if self.cut {
            return Err(power_cut());
        }
        self.inode_mut(path)?;
        let unit = self.write_unit;
        for chunk in data.chunks(unit) {
            self.spend(1)?;
            self.inode_mut(path)?.data.extend_from_slice(chunk);
        }
        Ok(())
    }

    fn sync_file(&mut self, path: &Path) -> io::Result<()> {
        self.spend(1)?;
        let inode = self.inode_mut(path)?;
        inode.durable = inode.data.clone();
        Ok(())
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.spend(1)?;
        let inode = self
            .names
            .remove(from)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, from.display().to_string()))?;
        self.names.insert(to.to_owned(), inode);
        Ok(())
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        self.spend(1)?;
        self.durable_names.retain(|p, _| parent_dir(p) != dir);
        for (p, inode) in &self.names {
            if parent_dir(p) == dir {
                self.durable_names.insert(p.clone(), *inode);
            }
        }
        Ok(())
    }

    fn read(&mut self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        Ok(self.contents(path).map(<[u8]>::to_vec))
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        if !self.names.contains_key(path) {
            return Ok(());
        }
        self.spend(1)?;
        self.names.remove(path);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unsynced_data_and_names_follow_the_mode() {
        let mut fs = MemFs::new();
        let p = Path::new("d/f");
        fs.create(p).unwrap();
        fs.write(p, b"abc").unwrap();
        fs.sync_dir(Path::new("d")).unwrap();
        // Name durable, data not.
        assert_eq!(fs.crash(CrashMode::PESSIMISTIC).contents(p), Some(&b""[..]));
        assert_eq!(
            fs.crash(CrashMode::OPTIMISTIC).contents(p),
            Some(&b"abc"[..])
        );
        fs.sync_file(p).unwrap();
        fs.rename(p, Path::new("d/g")).unwrap();
        let lost = fs.crash(CrashMode::PESSIMISTIC);
        assert_eq!(lost.contents(p), Some(&b"abc"[..]));
        assert_eq!(lost.contents(Path::new("d/g")), None);
    }

    #[test]
    fn budget_tears_writes() {
        let mut fs = MemFs::new();
        let p = Path::new("f");
        fs.set_power_budget(Some(3));
        fs.create(p).unwrap();
        assert!(fs.write(p, b"abcdef").is_err());
        assert!(fs.was_cut());
        assert_eq!(fs.contents(p), Some(&b"ab"[..]));
        assert!(fs.sync_file(p).is_err());
        assert_eq!(fs.units_used(), 3);
    }
}
