//! Power cuts armed at points of the client's work ([`PowerCutPoint`]): counting the points
//! as the device reaches them, firing an armed cut once, and cutting the power in the middle
//! of a modem NVM write.
//!
//! # Power cut during an NVM write
//!
//! The modem writes its image with the atomic protocol of [`atomic_write`] on the device's
//! [`MemFs`] flash. When an armed `NvmWrite` cut fires, the world takes the flash as it was
//! before the write, replays the same write on it with a [`MemFs`] power budget that runs
//! out inside one of its steps, and keeps what a power-up finds ([`MemFs::crash`]). Both
//! choices are drawn from a generator seeded by the world seed, the device and its boot
//! number (label `nvm-cut`), so a seed replays the same cut:
//!
//! * the step: uniformly one of the protocol's steps (create the temporary file, write it,
//!   sync it, rename it over the image, sync the directory); inside the write step,
//!   uniformly one of its write units (a torn write);
//! * what survived beyond what was synced: uniformly one of the four [`CrashMode`]s.
//!
//! The protocol guarantees the result: the image from before the write, or (cut while
//! syncing the directory, with the unsynced rename kept) the new one, never a mix. The
//! transcript says which. The modem then reloads its NVM from that flash at power-up.

use std::io;
use std::path::Path;
use std::sync::Arc;

use super::device::{ArmedCut, PowerCutPoint, MODEM_NVM_PATH};
use super::seeds::{derive, WorldRng};
use super::transcript::{EntryKind, Lane, Record as _};
use super::World;
use crate::modem::nvm::{atomic_write, CrashMode, MemFs, NvmFs, WriteStep};

impl World {
    /// Counts that `dev` reached a point of its work matching `at`: every armed cut there
    /// counts it; the first one whose count runs out is disarmed and returned (the caller
    /// then cuts the power with [`World::fire_cut`]).
    pub(super) fn reach_cut_point(
        &mut self,
        dev: usize,
        at: impl Fn(&PowerCutPoint) -> bool,
    ) -> Option<ArmedCut> {
        let cuts = &mut self.devices[dev].cut_points;
        let mut fired = None;
        for (i, cut) in cuts.iter_mut().enumerate() {
            if at(&cut.point) {
                cut.due |= cut.firing.count();
                if cut.due && fired.is_none() {
                    fired = Some(i);
                }
            }
        }
        fired.map(|i| cuts.remove(i))
    }

    /// Whether an `NvmWrite` cut is armed for `dev`: the flash is then snapshotted before
    /// each modem command.
    pub(super) fn nvm_cut_armed(&self, dev: usize) -> bool {
        self.devices[dev]
            .cut_points
            .iter()
            .any(|c| c.point == PowerCutPoint::NvmWrite)
    }

    /// The device's flash as it is now (`None` if its lock is poisoned).
    pub(super) fn flash_snapshot(&self, dev: usize) -> Option<MemFs> {
        self.devices[dev].flash_mem.lock().ok().map(|fs| fs.clone())
    }

    /// Whether the flash was written since `before` was taken.
    pub(super) fn flash_written_since(&self, dev: usize, before: &MemFs) -> bool {
        self.devices[dev]
            .flash_mem
            .lock()
            .is_ok_and(|fs| fs.units_used() > before.units_used())
    }

    /// Cuts the power for an armed cut that fired, keeping it off for the cut's `off_for`.
    pub(super) fn fire_cut(&mut self, dev: usize, cut: ArmedCut, why: &str) {
        if cut.off_for.is_some() {
            self.devices[dev].next_off = cut.off_for;
        }
        self.cut_power(dev, EntryKind::Fault, why);
    }

    /// Power goes during the NVM write the modem just made (the flash was `before` it): see
    /// the module docs.
    pub(super) fn cut_during_nvm_write(&mut self, dev: usize, before: MemFs, cut: ArmedCut) {
        let seed = derive(
            self.config.seed,
            "nvm-cut",
            (dev as u64) << 32 | self.devices[dev].boot,
        );
        let mut rng = WorldRng::new(seed, "nvm-cut");
        let flash = Arc::clone(&self.devices[dev].flash_mem);
        let notes = match flash.lock() {
            Ok(mut fs) => {
                let torn = torn_write(before, fs.contents(Path::new(MODEM_NVM_PATH)), &mut rng);
                *fs = torn.flash;
                vec![
                    (
                        EntryKind::Fault,
                        format!("power cut during the modem NVM write, {}", torn.cut),
                    ),
                    (EntryKind::Note, torn.outcome),
                ]
            }
            Err(_) => vec![(
                EntryKind::Fault,
                "power cut during the modem NVM write (flash lock poisoned)".to_owned(),
            )],
        };
        let name = self.devices[dev].name.clone();
        for (kind, note) in notes {
            self.transcript
                .note(self.now_ms, Lane::Modem(name.clone()), kind, note);
        }
        self.fire_cut(dev, cut, "power cut during an NVM write");
    }
}

/// A write cut by the power, as a power-up finds it.
#[derive(Debug)]
struct TornWrite {
    /// The flash after power-up.
    flash: MemFs,
    /// Where the write was cut, e.g. `while renaming … (write unit 4538)`.
    cut: String,
    /// What survived, e.g. `after power-up (…) the NVM holds the new image`.
    outcome: String,
}

/// Replays the write of `new_image` on the flash `before`, cut at a step drawn from `rng`,
/// and gives the flash a power-up finds with what happened, for the transcript.
fn torn_write(before: MemFs, new_image: Option<&[u8]>, rng: &mut WorldRng) -> TornWrite {
    let path = Path::new(MODEM_NVM_PATH);
    let new_image = new_image.unwrap_or_default().to_vec();
    let old_image = before.contents(path).map(<[u8]>::to_vec);
    let steps = write_steps(&before, path, &new_image);
    let pick = usize::try_from(rng.below(steps.len() as u64)).unwrap_or_default();
    let Some(&(step, start, units)) = steps.get(pick) else {
        return TornWrite {
            flash: before,
            cut: "but there was no write to cut".to_owned(),
            outcome: "the NVM is unchanged".to_owned(),
        };
    };
    let budget = start + rng.below(units.max(1));
    let mode_index = usize::try_from(rng.below(CrashMode::ALL.len() as u64)).unwrap_or_default();
    let mode = CrashMode::ALL
        .get(mode_index)
        .copied()
        .unwrap_or(CrashMode::PESSIMISTIC);
    let mut cut = before;
    cut.set_power_budget(Some(budget));
    // The write fails at the cut: that is the point.
    let _ = atomic_write(&mut cut, path, &new_image);
    let after = cut.crash(mode);
    let kept = after.contents(path).map(<[u8]>::to_vec);
    let outcome = if kept.as_deref() == Some(new_image.as_slice()) {
        "the new image"
    } else if kept == old_image {
        "the image from before the write"
    } else {
        "a mix of both (a bug in the write protocol)"
    };
    TornWrite {
        flash: after,
        cut: format!("while {step} (write unit {budget})"),
        outcome: format!(
            "after power-up (unsynced names {}, unsynced data {}) the NVM holds {outcome}",
            kept_or_lost(mode.keep_unsynced_names),
            kept_or_lost(mode.keep_unsynced_data),
        ),
    }
}

fn kept_or_lost(kept: bool) -> &'static str {
    if kept {
        "kept"
    } else {
        "lost"
    }
}

/// The steps of writing `data` to `path` on (a copy of) `fs`: each step with the write
/// unit it starts at and how many units it takes.
fn write_steps(fs: &MemFs, path: &Path, data: &[u8]) -> Vec<(WriteStep, u64, u64)> {
    let mut recorder = StepRecorder {
        fs: fs.clone(),
        steps: Vec::new(),
    };
    let base = recorder.fs.units_used();
    // A write without a power budget does not fail on a MemFs; if it did, the steps
    // recorded so far are still the ones a cut can strike.
    let _ = atomic_write(&mut recorder, path, data);
    recorder
        .steps
        .into_iter()
        .map(|(step, start, units)| (step, start - base, units))
        .collect()
}

/// A [`MemFs`] that records which step of [`atomic_write`] each call is and the write units
/// it takes.
struct StepRecorder {
    fs: MemFs,
    steps: Vec<(WriteStep, u64, u64)>,
}

impl StepRecorder {
    fn record<T>(
        &mut self,
        step: WriteStep,
        op: impl FnOnce(&mut MemFs) -> io::Result<T>,
    ) -> io::Result<T> {
        let start = self.fs.units_used();
        let result = op(&mut self.fs);
        self.steps.push((step, start, self.fs.units_used() - start));
        result
    }
}

impl NvmFs for StepRecorder {
    fn create(&mut self, path: &Path) -> io::Result<()> {
        self.record(WriteStep::CreateTemp, |fs| fs.create(path))
    }

    fn write(&mut self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.record(WriteStep::WriteTemp, |fs| fs.write(path, data))
    }

    fn sync_file(&mut self, path: &Path) -> io::Result<()> {
        self.record(WriteStep::SyncTemp, |fs| fs.sync_file(path))
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.record(WriteStep::Rename, |fs| fs.rename(from, to))
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        self.record(WriteStep::SyncDir, |fs| fs.sync_dir(dir))
    }

    fn read(&mut self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        self.fs.read(path)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        self.fs.remove(path)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn flash_with(image: &[u8]) -> MemFs {
        let mut fs = MemFs::new();
        atomic_write(&mut fs, Path::new(MODEM_NVM_PATH), image).unwrap();
        fs
    }

    #[test]
    fn the_steps_of_a_write_cover_its_units() {
        let fs = flash_with(b"old");
        let steps = write_steps(&fs, Path::new(MODEM_NVM_PATH), b"new image");
        let names: Vec<WriteStep> = steps.iter().map(|s| s.0).collect();
        assert_eq!(
            names,
            [
                WriteStep::CreateTemp,
                WriteStep::WriteTemp,
                WriteStep::SyncTemp,
                WriteStep::Rename,
                WriteStep::SyncDir
            ]
        );
        // Contiguous, one unit per call, one per byte written.
        let mut next = 0;
        for (step, start, units) in &steps {
            assert_eq!(*start, next, "{step}");
            next += units;
        }
        assert_eq!(steps[1].2, 9);
        assert_eq!(next, 9 + 4);
    }

    #[test]
    fn a_torn_write_leaves_the_old_or_the_new_image() {
        let old = b"{\"old\":1}".to_vec();
        let new = b"{\"new\":22}".to_vec();
        let (mut saw_old, mut saw_new) = (false, false);
        for seed in 0..200 {
            let mut rng = WorldRng::new(seed, "nvm-cut");
            let torn = torn_write(flash_with(&old), Some(&new), &mut rng);
            let what = format!("{} / {}", torn.cut, torn.outcome);
            let kept = torn
                .flash
                .contents(Path::new(MODEM_NVM_PATH))
                .map(<[u8]>::to_vec);
            assert!(
                kept.as_deref() == Some(old.as_slice()) || kept.as_deref() == Some(new.as_slice()),
                "seed {seed}: {what}: {kept:?}"
            );
            saw_old |= kept.as_deref() == Some(old.as_slice());
            saw_new |= kept.as_deref() == Some(new.as_slice());
            assert!(!what.contains("mix"), "{what}");
        }
        assert!(saw_old && saw_new, "both outcomes occur over seeds");
    }

    #[test]
    fn a_torn_write_is_deterministic_per_seed() {
        let run = || {
            let mut rng = WorldRng::new(7, "nvm-cut");
            let torn = torn_write(flash_with(b"a"), Some(b"bb"), &mut rng);
            (torn.cut, torn.outcome)
        };
        assert_eq!(run(), run());
    }
}
