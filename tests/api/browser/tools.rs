//! What the browser tests need on the machine — Chromium, chromedriver, node with npm —
//! and axe-core, pinned, installed with npm under `target/browser-tools/`. With
//! `ESIM_REQUIRE_BROWSER=1` a missing tool fails the test; otherwise it is skipped.
use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

/// The axe-core release the accessibility test runs: a new release cannot change CI alone.
pub const AXE_VERSION: &str = "4.14.1";

pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    pub npm: PathBuf,
}

/// The tools, or `None` after printing why this test is skipped. Panics instead when
/// `ESIM_REQUIRE_BROWSER=1`: CI must run these tests, never skip them.
pub fn tools(test: &str) -> Option<&'static Tools> {
    static FOUND: OnceLock<Result<Tools, String>> = OnceLock::new();
    match FOUND.get_or_init(find) {
        Ok(tools) => Some(tools),
        Err(missing) if required() => {
            panic!("ESIM_REQUIRE_BROWSER=1 but {missing}")
        }
        Err(missing) => {
            // Straight to stderr, past the test harness's capture: a developer sees it.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {test}: {missing} (ESIM_REQUIRE_BROWSER=1 makes this a failure)"
            );
            None
        }
    }
}

fn required() -> bool {
    std::env::var("ESIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn find() -> Result<Tools, String> {
    let missing = |what: &str, hint: &str| format!("{what} is not installed ({hint})");
    let chromedriver = on_path(&["chromedriver"])
        .ok_or_else(|| missing("chromedriver", "apt-get install chromium-driver"))?;
    let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"])
        .ok_or_else(|| missing("chromium", "apt-get install chromium"))?;
    on_path(&["node"]).ok_or_else(|| missing("node", "apt-get install nodejs npm"))?;
    let npm = on_path(&["npm"]).ok_or_else(|| missing("npm", "apt-get install npm"))?;
    Ok(Tools {
        chromium,
        chromedriver,
        npm,
    })
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|file| file.is_file())
    })
}

/// `axe.min.js`'s source, installed on first use (once per test binary).
pub fn axe_source(tools: &Tools) -> &'static str {
    static AXE: OnceLock<String> = OnceLock::new();
    AXE.get_or_init(|| {
        let dir = target_dir().join("browser-tools");
        let package = dir.join("node_modules/axe-core");
        if installed_version(&package).as_deref() != Some(AXE_VERSION) {
            std::fs::create_dir_all(&dir).unwrap();
            let status = Command::new(&tools.npm)
                .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .arg(format!("axe-core@{AXE_VERSION}"))
                .status()
                .expect("npm runs");
            assert!(status.success(), "npm could not install axe-core");
        }
        std::fs::read_to_string(package.join("axe.min.js")).expect("axe.min.js")
    })
}

fn installed_version(package: &Path) -> Option<String> {
    let json = std::fs::read_to_string(package.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&json).ok()?;
    json["version"].as_str().map(String::from)
}

/// This build's `target/` directory: the test binary is `target/debug/deps/api-…`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors()
        .nth(3)
        .filter(|dir| dir.join("CACHEDIR.TAG").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}
