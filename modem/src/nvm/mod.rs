//! The modem's non-volatile memory: the credential store persisted as one image file,
//! replaced atomically on every change.
//!
//! * [`image`]: the versioned, checksummed JSON format.
//! * [`fs`](mod@fs): the write steps behind the [`NvmFs`] trait, the atomic write protocol and
//!   the real file system.
//! * [`memfs`]: an in-memory file system with a power-cut model.
//!
//! [`NvmStore`] says where the image lives: in memory (scenarios; it survives
//! [`crate::Modem::reboot`] but not the modem value), in a real file, or in a caller's
//! [`NvmFs`] (e.g. a shared [`MemFs`] that a test crashes).

pub mod fs;
pub mod image;
pub mod memfs;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use fs::{atomic_write, NvmFs, RealFs, WriteStep};
pub use image::ImageError;
pub use memfs::{CrashMode, MemFs};

use super::credentials::CredentialStore;

/// A file system shared between the modem and its owner (e.g. a test that crashes it).
pub type SharedFs = Arc<Mutex<dyn NvmFs>>;

/// Where the modem's NVM image lives.
#[derive(Clone, Default)]
pub enum NvmStore {
    /// A private in-memory image (survives [`crate::Modem::reboot`]).
    #[default]
    Memory,
    /// A file on the real file system.
    File(PathBuf),
    /// A file `path` on a caller-supplied file system.
    Fs {
        /// The image file's path on that file system.
        path: PathBuf,
        /// The file system.
        fs: SharedFs,
    },
}

impl NvmStore {
    /// The image at `path` on the shared file system `fs`.
    pub fn on_fs(path: impl Into<PathBuf>, fs: SharedFs) -> Self {
        Self::Fs {
            path: path.into(),
            fs,
        }
    }
}

impl fmt::Debug for NvmStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("Memory"),
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
            Self::Fs { path, .. } => f.debug_struct("Fs").field("path", path).finish(),
        }
    }
}

/// Why the NVM could not be loaded or saved. Every variant names the image file.
#[derive(Debug, thiserror::Error)]
pub enum NvmError {
    /// The image exists but is not a valid image (truncated, corrupt, wrong version, …).
    #[error("{}: corrupt modem NVM image: {source}", path.display())]
    Corrupt {
        /// The image file.
        path: PathBuf,
        /// What is wrong with it.
        source: ImageError,
    },
    /// The image could not be read.
    #[error("{}: cannot read modem NVM image: {source}", path.display())]
    Read {
        /// The image file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The image could not be written (the old image, if any, is intact).
    #[error("{}: cannot write modem NVM image while {step}: {source}", path.display())]
    Write {
        /// The image file.
        path: PathBuf,
        /// The step that failed.
        step: WriteStep,
        /// The I/O error.
        source: io::Error,
    },
    /// The shared file system's lock was poisoned by a panic elsewhere.
    #[error("{}: the NVM file system lock is poisoned", path.display())]
    Poisoned {
        /// The image file.
        path: PathBuf,
    },
}

/// The NVM of one modem: an image path on a file system.
#[derive(Clone)]
pub struct Nvm {
    path: PathBuf,
    fs: SharedFs,
}

impl fmt::Debug for Nvm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nvm").field("path", &self.path).finish()
    }
}

impl Nvm {
    /// The NVM for a configured store.
    pub fn open(store: &NvmStore) -> Self {
        match store {
            NvmStore::Memory => Self {
                path: PathBuf::from("<memory>/modem-nvm.json"),
                fs: Arc::new(Mutex::new(MemFs::new())),
            },
            NvmStore::File(path) => Self {
                path: path.clone(),
                fs: Arc::new(Mutex::new(RealFs::new())),
            },
            NvmStore::Fs { path, fs } => Self {
                path: path.clone(),
                fs: Arc::clone(fs),
            },
        }
    }

    /// The image file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with_fs<T>(
        &self,
        f: impl FnOnce(&mut dyn NvmFs) -> Result<T, NvmError>,
    ) -> Result<T, NvmError> {
        let mut guard = self.fs.lock().map_err(|_| NvmError::Poisoned {
            path: self.path.clone(),
        })?;
        f(&mut *guard)
    }

    /// Loads the credential store: empty when there is no image yet. A leftover temporary
    /// file from an interrupted write is ignored and removed (best effort).
    pub fn load(&self) -> Result<CredentialStore, NvmError> {
        self.with_fs(|fs| {
            // Ignoring a failed removal is fine: the temp file is never read, and the next
            // write truncates it.
            let _ = fs.remove(&fs::temp_path(&self.path));
            match fs.read(&self.path) {
                Ok(None) => Ok(CredentialStore::new()),
                Ok(Some(bytes)) => image::decode(&bytes).map_err(|source| NvmError::Corrupt {
                    path: self.path.clone(),
                    source,
                }),
                Err(source) => Err(NvmError::Read {
                    path: self.path.clone(),
                    source,
                }),
            }
        })
    }

    /// Saves the credential store atomically (see [`atomic_write`]).
    pub fn save(&self, store: &CredentialStore) -> Result<(), NvmError> {
        let bytes = image::encode(store).map_err(|source| NvmError::Corrupt {
            path: self.path.clone(),
            source,
        })?;
        self.with_fs(|fs| {
            atomic_write(fs, &self.path, &bytes).map_err(|(step, source)| NvmError::Write {
                path: self.path.clone(),
                step,
                source,
            })
        })
    }
}
