//! axe-core in the page: injected through WebDriver (not through the page, whose CSP
//! allows no inline script), run, and its serious and critical violations listed.
use serde_json::{Value, json};

use super::webdriver::Browser;

/// Every rule axe runs by default (WCAG 2.x A and AA, and best practices) and WCAG 2.2's
/// target size (the console is used on phones); each violation of impact `serious` or
/// `critical` as one line: rule, impact, help, elements.
pub async fn serious_violations(browser: &Browser, axe_source: &str) -> Vec<String> {
    browser
        .execute(&format!("{axe_source}\n;return typeof axe;"), json!([]))
        .await;
    let found = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const rules = { 'target-size': { enabled: true } };
             axe.run(document, { resultTypes: ['violations'], rules })
               .then(r => done(r.violations), e => done({ error: String(e) }));",
            json!([]),
        )
        .await;
    if let Some(error) = found.get("error") {
        panic!("axe did not run: {error}");
    }
    found
        .as_array()
        .expect("axe's violations")
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(describe)
        .collect()
}

fn describe(v: &Value) -> String {
    let nodes: Vec<String> = v["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .take(5)
        .map(|n| {
            format!(
                "{} ({})",
                n["target"],
                n["failureSummary"].as_str().unwrap_or("")
            )
        })
        .collect();
    format!(
        "{} [{}]: {} — {}",
        v["id"].as_str().unwrap_or("?"),
        v["impact"].as_str().unwrap_or("?"),
        v["help"].as_str().unwrap_or(""),
        nodes.join("; ")
    )
}
