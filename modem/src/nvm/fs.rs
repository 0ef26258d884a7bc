//! The file-system steps of an atomic NVM write, behind a small trait so that a test can cut
//! the power at any of them ([`super::MemFs`]) while production uses the real file system
//! ([`RealFs`]).
//!
//! The write protocol ([`atomic_write`]): create `<file>.tmp` in the same directory, write
//! the image, fsync it, rename it over `<file>`, fsync the directory. Loading ignores (and
//! removes) a leftover `<file>.tmp`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// The file-system operations the NVM needs. Every mutating call is one "write point" where a
/// simulated power cut may strike.
pub trait NvmFs: Send {
    /// Creates `path` (truncating an existing file) and opens it for writing.
    fn create(&mut self, path: &Path) -> io::Result<()>;
    /// Appends `data` to the file opened by [`NvmFs::create`].
    fn write(&mut self, path: &Path, data: &[u8]) -> io::Result<()>;
    /// Makes the content of `path` durable (fsync) and closes it.
    fn sync_file(&mut self, path: &Path) -> io::Result<()>;
    /// Renames `from` over `to` (atomically replacing `to`).
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes the directory entries of `dir` durable (fsync of the directory).
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()>;
    /// Reads the whole file, `None` if it does not exist.
    fn read(&mut self, path: &Path) -> io::Result<Option<Vec<u8>>>;
    /// Removes `path`; a missing file is not an error.
    fn remove(&mut self, path: &Path) -> io::Result<()>;
}

/// The temporary file next to `path`: `<path>.tmp`.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Which step of [`atomic_write`] failed (for error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStep {
    /// Creating the temporary file.
    CreateTemp,
    /// Writing the image into it.
    WriteTemp,
    /// fsync of the temporary file.
    SyncTemp,
    /// Renaming it over the image file.
    Rename,
    /// fsync of the directory.
    SyncDir,
}

impl std::fmt::Display for WriteStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::CreateTemp => "creating the temporary file",
            Self::WriteTemp => "writing the temporary file",
            Self::SyncTemp => "syncing the temporary file",
            Self::Rename => "renaming the temporary file over the image",
            Self::SyncDir => "syncing the directory",
        })
    }
}

/// Writes `data` to `path` so that a power cut at any step leaves either the old or the new
/// file: temp file, write, fsync, rename, fsync directory.
pub fn atomic_write(
    fs: &mut dyn NvmFs,
    path: &Path,
    data: &[u8],
) -> Result<(), (WriteStep, io::Error)> {
    let tmp = temp_path(path);
    fs.create(&tmp).map_err(|e| (WriteStep::CreateTemp, e))?;
    fs.write(&tmp, data)
        .map_err(|e| (WriteStep::WriteTemp, e))?;
    fs.sync_file(&tmp).map_err(|e| (WriteStep::SyncTemp, e))?;
    fs.rename(&tmp, path).map_err(|e| (WriteStep::Rename, e))?;
    fs.sync_dir(&parent_dir(path))
        .map_err(|e| (WriteStep::SyncDir, e))?;
    Ok(())
}

/// The real file system.
#[derive(Debug, Default)]
pub struct RealFs {
    open: Option<(PathBuf, File)>,
}

impl RealFs {
    /// A handle on the real file system.
    pub fn new() -> Self {
        Self::default()
    }

    fn open_file(&mut self, path: &Path) -> io::Result<&mut File> {
        let reuse = matches!(&self.open, Some((p, _)) if p == path);
        if !reuse {
            let file = OpenOptions::new().append(true).open(path)?;
            self.open = Some((path.to_owned(), file));
        }
        match &mut self.open {
            Some((_, file)) => Ok(file),
            None => Err(io::Error::other("no open file")),
        }
    }
}

impl NvmFs for RealFs {
    fn create(&mut self, path: &Path) -> io::Result<()> {
        let file = File::create(path)?;
        self.open = Some((path.to_owned(), file));
        Ok(())
    }

    fn write(&mut self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.open_file(path)?.write_all(data)
    }

    fn sync_file(&mut self, path: &Path) -> io::Result<()> {
        let result = self.open_file(path)?.sync_all();
        self.open = None;
        result
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    fn read(&mut self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_and_parent_paths() {
        assert_eq!(
            temp_path(Path::new("/a/nvm.json")),
            PathBuf::from("/a/nvm.json.tmp")
        );
        assert_eq!(parent_dir(Path::new("nvm.json")), PathBuf::from("."));
        assert_eq!(parent_dir(Path::new("/a/nvm.json")), PathBuf::from("/a"));
    }
}
