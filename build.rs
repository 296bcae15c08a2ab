//! Build script: the commit the exporter is built from, for
//! `kconnect_exporter_build_info{revision}`. `KCONNECT_BUILD_REVISION` wins when set (the
//! Dockerfile passes its `REVISION` build argument: the image's build context has no `.git`);
//! else the commit `HEAD` points at, when this package is the top of a git work tree; else
//! `unknown`. The result reaches the crate as `KCONNECT_BUILD_REVISION`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=KCONNECT_BUILD_REVISION");
    let given = std::env::var("KCONNECT_BUILD_REVISION")
        .ok()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty() && r != "unknown");
    let revision = given
        .or_else(git_revision)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=KCONNECT_BUILD_REVISION={revision}");
}

/// `git rev-parse HEAD`, when the package directory is the top of its git work tree (not a
/// copy of the sources inside some other repository), with the files to watch so that a new
/// commit or checkout builds again.
fn git_revision() -> Option<String> {
    let dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
    };
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != Path::new(&dir).canonicalize().ok()? {
        return None;
    }
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.extend(git(&["rev-parse", "--git-path", &branch]));
    }
    watched.extend(git(&["rev-parse", "--git-path", "packed-refs"]));
    for path in watched {
        let path = Path::new(&dir).join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let revision = git(&["rev-parse", "HEAD"])?;
    revision
        .chars()
        .all(|c| c.is_ascii_hexdigit())
        .then_some(revision)
}
